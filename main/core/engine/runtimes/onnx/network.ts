// An NCHW ONNX classifier on ONNX Runtime, seen from the engine: it takes the engine's NHWC batch and
// returns the logits and any intermediate tensors asked for, 4-D ones back in NHWC. An intermediate tensor
// becomes a graph output only in a session made for it: as an output it stops ONNX Runtime from fusing
// the node that writes it, so the plain logits session keeps every fusion. A model whose output is a final
// Softmax's (behind shape-only ops) gives that Softmax's input as its logits: the engine computes the
// probabilities from the logits, and gradient methods take the class score before the softmax.
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import type { CamNetwork, NetworkOutputs } from '../../cam/network';
import { graphOf, onnx, type ModelProto, type NodeProto } from './graph-builder';
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
    return this.runNchw(nhwcToNchw(x.dataSync() as Float32Array, [n, h, w, c]), [n, c, h, w], tensors, () => x.clone());
  }

  /**
   * The scan stage's pixels, preprocessed straight into NCHW in an array this network reuses from batch to
   * batch: no NHWC tensor, no copy out of TF.js, no transposed copy, and no garbage.
   */
  runPixels(batch: PixelBatch, tensors: string[] = []): Promise<NetworkOutputs<string>> {
    const input = preprocessNchw(batch, this.inputScratch ?? undefined);
    this.inputScratch = null;
    const { count, size, pixels, preset } = batch;
    return this.runNchw(input, [count, 3, size, size], tensors, () => preprocess(pixels, count, size, preset)).finally(() => {
      this.inputScratch = input;
    });
  }

  private async runNchw(
    nchw: Float32Array,
    dims: Dims4,
    tensors: string[],
    inputTensor: () => tf.Tensor4D,
  ): Promise<NetworkOutputs<string>> {
    const wanted = [...new Set(tensors)].filter((name) => name !== this.inputName);
    const session = await this.session(wanted);
    const n = dims[0];
    const results = await session.run({ [this.inputName]: new ort.Tensor('float32', nchw, dims) }, [this.logitsName, ...wanted]);
    const logits = tf.tensor2d(results[this.logitsName].data as Float32Array, [n, results[this.logitsName].size / n]);
    const kept = new Map<string, tf.Tensor>();
    for (const name of tensors) kept.set(name, name === this.inputName ? inputTensor() : toEngineLayout(results[name], this.channelsLast.has(name)));
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
