// Several engine workers behind one Engine: a request is cut into mini-batches of at most `batchSize`
// images, and each mini-batch goes to the worker with the fewest images in flight. Results come back in
// the request's order. The wasm backend computes on one core per worker, so throughput grows with the
// number of workers as long as callers keep enough images in flight.
import type { BackendReport } from '../../../common/types';
import type { Engine, ExplainRequest, ExplainResult, ModelInfo } from './types';

export class EnginePool implements Engine {
  private readonly inFlight: number[];

  constructor(
    private readonly engines: Engine[],
    private readonly batchSize: number,
  ) {
    if (engines.length === 0) throw new Error('An engine pool needs at least one engine');
    this.inFlight = engines.map(() => 0);
  }

  /** Starts `count` engines at once; if one fails, the others are disposed and the first failure is thrown. */
  static async start(count: number, batchSize: number, startOne: () => Promise<Engine>): Promise<EnginePool> {
    const started = await Promise.allSettled(Array.from({ length: count }, startOne));
    const failure = started.find((result) => result.status === 'rejected');
    const engines = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failure) {
      await Promise.all(engines.map((engine) => engine.dispose()));
      throw failure.reason;
    }
    return new EnginePool(engines, batchSize);
  }

  get model(): ModelInfo {
    return this.engines[0].model;
  }

  get backend(): BackendReport {
    return this.engines[0].backend;
  }

  get workers(): number {
    return this.engines.length;
  }

  async explain(request: ExplainRequest): Promise<ExplainResult[]> {
    const parts = await Promise.all(this.miniBatches(request).map((part) => this.dispatch(part)));
    return parts.flat();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.engines.map((engine) => engine.dispose()));
  }

  /** The request cut into mini-batches; a request whose size does not add up goes whole, for the worker's message. */
  private miniBatches(request: ExplainRequest): ExplainRequest[] {
    const { count, pixels, classes } = request;
    const { inputSize } = this.model;
    const imageBytes = inputSize * inputSize * 3;
    const fits = Number.isInteger(count) && pixels.length === count * imageBytes && (!classes || classes.length === count);
    if (count <= this.batchSize || !fits) return [request];
    const parts: ExplainRequest[] = [];
    for (let first = 0; first < count; first += this.batchSize) {
      const last = Math.min(first + this.batchSize, count);
      parts.push({
        ...request,
        count: last - first,
        // A view: the engine copies what it hands to its worker.
        pixels: pixels.subarray(first * imageBytes, last * imageBytes),
        ...(classes && { classes: classes.slice(first, last) }),
      });
    }
    return parts;
  }

  private async dispatch(part: ExplainRequest): Promise<ExplainResult[]> {
    const index = this.inFlight.indexOf(Math.min(...this.inFlight));
    this.inFlight[index] += part.count;
    try {
      return await this.engines[index].explain(part);
    } finally {
      this.inFlight[index] -= part.count;
    }
  }
}
