// The calling thread's side of the engine: proxies explain() to the worker and turns its replies,
// errors and crashes into resolved or rejected promises.
import type { Worker } from 'node:worker_threads';
import type { BackendReport } from '../../../common/types';
import type { ExplainMessage, WorkerReply } from './protocol';
import type { Engine, ExplainRequest, ExplainResult, ModelInfo } from './types';

interface Pending {
  resolve(results: ExplainResult[]): void;
  reject(error: Error): void;
}

export class WorkerEngine implements Engine {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly model: ModelInfo,
    readonly backend: BackendReport,
  ) {
    worker.on('message', (message: WorkerReply) => this.settle(message));
    worker.on('error', (error) => this.fail(new Error(`The engine worker crashed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`The engine worker stopped (exit code ${code})`)));
  }

  /** Waits for the worker to load its model; rejects with the worker's message if it cannot. */
  static start(worker: Worker): Promise<WorkerEngine> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerReply) => {
        if (message.type !== 'ready' && message.type !== 'start-failed') return;
        cleanup();
        if (message.type === 'ready') {
          resolve(new WorkerEngine(worker, message.model, message.backend));
        } else {
          void worker.terminate();
          reject(new Error(message.message));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new Error(`The engine worker crashed while starting: ${error.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`The engine worker stopped while starting (exit code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  /** Transfers `request.pixels`' buffer to the worker when the array spans all of it (the caller's copy is emptied). */
  explain(request: ExplainRequest): Promise<ExplainResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const pixels = ownsWholeBuffer(request.pixels) ? request.pixels : request.pixels.slice();
    const message: ExplainMessage = { id, request: { ...request, pixels } };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message, [pixels.buffer as ArrayBuffer]);
    });
  }

  async dispose(): Promise<void> {
    this.fail(new Error('The engine was disposed'));
    await this.worker.terminate();
  }

  private settle(message: WorkerReply): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.results);
    else pending.reject(new Error(message.message));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}

function ownsWholeBuffer(array: Uint8Array): boolean {
  return array.buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === array.buffer.byteLength;
}
