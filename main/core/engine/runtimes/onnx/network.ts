// An NCHW ONNX classifier on ONNX Runtime, seen from the engine: it takes the engine's NHWC batch and
// returns the logits and any intermediate tensors asked for, 4-D ones back in NHWC. An intermediate tensor
// becomes a graph output only in a session made for it: as an output it stops ONNX Runtime from fusing
// the node that writes it, so the plain logits session keeps every fusion. A model whose output is a final
// Softmax's (behind shape-only ops) gives that Softmax's input as its logits: the engine computes the
// probabilities from the logits, and gradient methods take the class score before the softmax.
// The image input is NCHW (PyTorch) or NHWC (tf2onnx's default), as the graph declares it; a graph exported
// with a fixed batch size runs any number of images in runs of exactly that size, the last one padded.
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import type { CamNetwork, NetworkOutputs } from '../../cam/network';
import { graphOf, onnx, type DecodedGraph, type ModelProto, type NodeProto } from './graph-builder';
import { preprocess, preprocessNchw, type PixelBatch } from '../../preprocess';
import { nchwToNhwc, nhwcToNchw, type Dims4 } from './layout';
import type { ProviderName } from './providers';

export interface NetworkOptions {
  provider: ProviderName;
  /**
   * Threads for one run (ONNX Runtime's intra-op pool); default 1, as the engine runs one worker per core.
   * On a shared machine more threads spin against other processes: measured here, 2 threads were slower.
   */
  threads?: number;
}

/** Tensors are named as in the ONNX graph; 4-D NCHW ones come back NHWC. */
export class OnnxNetwork implements CamNetwork<string> {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** runPixels' input array, free between runs (null while a run holds it). */
  private inputScratch: Float32Array | null = null;
  readonly inputName: string;
  /** The graph's output. */
  readonly outputName: string;
  /** The class scores: the input of a final Softmax (see finalSoftmax), else the graph's output. */
  logitsName: string;
  /** 4-D tensors that are channels-last in the graph itself (Swin's features): returned as they are. */
  readonly channelsLast = new Set<string>();
  /** How the graph takes its images: [N, 3, H, W] or [N, H, W, 3] (see imageLayout). */
  readonly inputLayout: 'nchw' | 'nhwc';
  /** The batch size written into the graph's input (an export without a dynamic batch axis), or null. */
  readonly fixedBatch: number | null;

  constructor(
    private readonly model: ModelProto,
    private readonly options: NetworkOptions,
  ) {
    const graph = graphOf(model);
    const initializers = new Set(graph.initializer.map((tensor) => tensor.name));
    const inputs = graph.input.filter((input) => !initializers.has(input.name));
    if (inputs.length !== 1 || graph.output.length !== 1) {
      throw new Error(
        `The ONNX model has ${inputs.length} inputs and ${graph.output.length} outputs; Sightline needs one image input and one class-score output`,
      );
    }
    this.inputName = inputs[0].name!;
    this.outputName = graph.output[0].name!;
    this.logitsName = finalSoftmax(model, this.outputName)?.input[0] ?? this.outputName;
    const dims = declaredDims(inputs[0]);
    this.inputLayout = imageLayout(dims);
    this.fixedBatch = dims[0] != null && dims[0] >= 1 ? dims[0] : null;
  }

  /** The input's dims for `count` images of size × size, in the graph's layout. */
  inputDims(count: number, size: number): Dims4 {
    return this.inputLayout === 'nchw' ? [count, 3, size, size] : [count, size, size, 3];
  }

  /** Takes the graph's output as the class scores after all (a final Softmax that is not over the classes). */
  async scoresFromOutput(): Promise<void> {
    this.logitsName = this.outputName;
    await this.dispose();
  }

  static fromBytes(bytes: Uint8Array, options: NetworkOptions): OnnxNetwork {
    return new OnnxNetwork(onnx.ModelProto.decode(bytes), options);
  }

  /** `x` NHWC, preprocessed. The caller owns the returned tensors. */
  run(x: tf.Tensor4D, tensors: string[] = []): Promise<NetworkOutputs<string>> {
    const [n, h, w, c] = x.shape;
    const data = x.dataSync() as Float32Array;
    return this.runInput(this.inputLayout === 'nchw' ? nhwcToNchw(data, [n, h, w, c]) : data, n, h, tensors, () => x.clone());
  }

  /**
   * The scan stage's pixels, preprocessed straight into NCHW in an array this network reuses from batch to
   * batch: no NHWC tensor, no copy out of TF.js, no transposed copy, and no garbage.
   */
  runPixels(batch: PixelBatch, tensors: string[] = []): Promise<NetworkOutputs<string>> {
    const input = preprocessNchw(batch, this.inputScratch ?? undefined);
    this.inputScratch = null;
    const { count, size, pixels, preset } = batch;
    const data = this.inputLayout === 'nchw' ? input : nchwToNhwc(input, [count, 3, size, size]);
    return this.runInput(data, count, size, tensors, () => preprocess(pixels, count, size, preset)).finally(() => {
      this.inputScratch = input;
    });
  }

  /**
   * `data`: `n` images in the graph's layout. A fixed batch size runs them in parts of that size, the last
   * padded with zeros, and the outputs are joined along their first axis without the padding: right for the
   * logits and for tensors whose first axis is the batch, which is what a caller that asks a fixed-batch
   * network for more or fewer images gets (OnnxExplainer gives the CAM pipeline batches of exactly that size).
   */
  private async runInput(data: Float32Array, n: number, size: number, tensors: string[], inputTensor: () => tf.Tensor4D): Promise<NetworkOutputs<string>> {
    const wanted = [...new Set(tensors)].filter((name) => name !== this.inputName);
    const session = await this.session(wanted);
    const batch = this.fixedBatch ?? n;
    const perImage = 3 * size * size;
    const parts: { count: number; results: ort.InferenceSession.OnnxValueMapType }[] = [];
    for (let first = 0; first < n; first += batch) {
      const count = Math.min(batch, n - first);
      let part = data;
      if (batch !== n) {
        part = new Float32Array(batch * perImage);
        part.set(data.subarray(first * perImage, (first + count) * perImage));
      }
      const input = new ort.Tensor('float32', part, this.inputDims(batch, size));
      parts.push({ count, results: await session.run({ [this.inputName]: input }, [this.logitsName, ...wanted]) });
    }
    const rows = parts.map(({ count, results }) => {
      const scores = results[this.logitsName];
      return (scores.data as Float32Array).subarray(0, (count * scores.size) / batch);
    });
    const logits = tf.tensor2d(concatArrays(rows), [n, (parts[0].results[this.logitsName].size as number) / batch]);
    const kept = new Map<string, tf.Tensor>();
    for (const name of tensors) {
      if (name === this.inputName) kept.set(name, inputTensor());
      else if (parts.length === 1 && parts[0].count === batch) kept.set(name, toEngineLayout(parts[0].results[name], this.channelsLast.has(name)));
      else {
        kept.set(
          name,
          tf.tidy(() => {
            const pieces = parts.map(({ count, results }) => {
              const whole = toEngineLayout(results[name], this.channelsLast.has(name));
              return count === batch ? whole : tf.slice(whole, 0, count);
            });
            return pieces.length === 1 ? pieces[0] : tf.concat(pieces);
          }),
        );
      }
    }
    return { logits, kept };
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    // A session that failed to start has nothing to release; its error went to the run that started it.
    await Promise.all(sessions.map(async (pending) => (await pending.catch(() => null))?.release()));
  }

  private session(extraOutputs: string[]): Promise<ort.InferenceSession> {
    const key = [...extraOutputs].sort().join('\n');
    let session = this.sessions.get(key);
    if (!session) {
      session = ort.InferenceSession.create(this.withOutputs(extraOutputs), {
        // CPU after a GPU provider runs the nodes that the GPU provider has no kernel for.
        executionProviders: this.options.provider === 'cpu' ? ['cpu'] : [this.options.provider, 'cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: this.options.threads ?? 1,
        interOpNumThreads: 1,
      });
      this.sessions.set(key, session);
    }
    return session;
  }

  private withOutputs(extraOutputs: string[]): Uint8Array {
    const graph = graphOf(this.model);
    const original = graph.output;
    // No type: a head may read an integer tensor (a shape) as well as float activations.
    const outputs = [...new Set([this.logitsName, ...extraOutputs])].map((name) => onnx.ValueInfoProto.create({ name }));
    graph.output = this.logitsName === this.outputName ? [...original, ...outputs.slice(1)] : outputs;
    try {
      return onnx.ModelProto.encode(this.model).finish();
    } finally {
      graph.output = original;
    }
  }
}

/** The declared dims of a graph input: numbers, null where free. */
function declaredDims(input: DecodedGraph['input'][number]): (number | null)[] {
  return (input.type?.tensorType?.shape?.dim ?? []).map((dim) => (dim.dimValue == null ? null : Number(dim.dimValue)));
}

/**
 * NHWC where the last of 4 dims is 3 and the second is not (tf2onnx's [N, H, W, 3], H and W fixed or free),
 * else NCHW (torch.onnx.export's [N, 3, H, W]; an ambiguous [N, 3, 3, 3] counts as NCHW).
 */
function imageLayout(dims: (number | null)[]): 'nchw' | 'nhwc' {
  return dims.length === 4 && dims[3] === 3 && dims[1] !== 3 ? 'nhwc' : 'nchw';
}

function concatArrays(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

/** Ops that pass a tensor on or only change its shape: a Softmax behind them still ends the model. */
const SHAPE_ONLY = new Set(['Identity', 'Dropout', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/**
 * The Softmax node that ends the graph at `output`, behind shape-only ops, or undefined: its input holds the
 * logits. (Whether it runs over the class axis needs shapes: see probe in onnx-model.ts.)
 */
export function finalSoftmax(model: ModelProto, output: string): NodeProto | undefined {
  const producers = new Map(graphOf(model).node.flatMap((node) => node.output.map((name) => [name, node] as const)));
  for (let node = producers.get(output); node; node = producers.get(node.input[0])) {
    if (node.opType === 'Softmax') return node;
    if (!SHAPE_ONLY.has(node.opType)) return undefined;
  }
  return undefined;
}

/** NCHW 4-D tensors as NHWC; channels-last ones and any other rank as they are; integers (shapes) as int32. */
function toEngineLayout(output: ort.Tensor, channelsLast: boolean): tf.Tensor {
  const dims = output.dims.map(Number);
  if (output.type === 'int64' || output.type === 'int32') return tf.tensor(Int32Array.from(output.data as Iterable<number | bigint>, Number), dims, 'int32');
  if (dims.length !== 4 || channelsLast) return tf.tensor(output.data as Float32Array, dims);
  const [n, c, h, w] = dims;
  return tf.tensor4d(nchwToNhwc(output.data as Float32Array, [n, c, h, w]), [n, h, w, c]);
}
