// The TF.js layers runtime: the model's own layers compute the forward pass (convolutions fused with
// their batch norm and activation, forward.ts) and TF.js differentiates the head after the target layer.
// Each target layer's fused forward pass is built on first use and kept.
import type * as tf from '@tensorflow/tfjs-core';
import { explainBatch, type CamRequest, type ImageExplanation } from './cam/pipeline';
import { cutAt, type GraphCut } from './cut';
import { layersForward, type ForwardStep } from './forward';
import type { LoadedModel } from './model';
import { preprocess, type PixelBatch } from './preprocess';
import { runtimeModelOf, type ExplainRuntime, type RuntimeModel, type RuntimeReport } from './runtime';

/** A target layer: where the graph is cut, and the fused forward pass that keeps what its head needs. */
interface CamTarget {
  cut: GraphCut;
  forward: ForwardStep;
}

export class TfjsLayersRuntime implements ExplainRuntime {
  readonly report: RuntimeReport;
  readonly model: RuntimeModel;
  private readonly targets = new Map<string, CamTarget>();
  private readonly defaultTarget: CamTarget;

  /** Takes ownership of `loaded`; throws (without disposing it) when `layer` is not a CAM target. */
  constructor(
    private readonly loaded: LoadedModel,
    layer: string | undefined,
    fallbackReason?: string,
  ) {
    this.defaultTarget = targetAt(loaded, layer);
    this.targets.set(this.defaultTarget.cut.layer.name, this.defaultTarget);
    this.report = { name: 'tfjs-layers', ...(fallbackReason && { fallbackReason }) };
    this.model = runtimeModelOf(loaded, this.defaultTarget.cut.layer.name);
  }

  /** The pipeline, synchronously: TF.js computes everything on this thread. */
  explainNow(x: tf.Tensor4D, request: CamRequest & { layer?: string }): ImageExplanation[] {
    const { cut, forward } = this.targetFor(request.layer);
    return explainBatch(this.loaded.graph, cut, x, request, forward);
  }

  async explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return this.explainNow(x, request);
  }

  async explainPixels({ pixels, count, size, preset }: PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    const x = preprocess(pixels, count, size, preset);
    try {
      return this.explainNow(x, request);
    } finally {
      x.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.targets.forEach((target) => target.forward.dispose());
    this.targets.clear();
    this.loaded.dispose();
  }

  private targetFor(layer: string | undefined): CamTarget {
    if (layer === undefined) return this.defaultTarget;
    let target = this.targets.get(layer);
    if (!target) {
      target = targetAt(this.loaded, layer);
      this.targets.set(layer, target);
    }
    return target;
  }
}

function targetAt(loaded: LoadedModel, layer: string | undefined): CamTarget {
  const cut = cutAt(loaded, layer);
  return { cut, forward: layersForward(loaded.graph, [cut.layer.tensor, ...cut.constants]) };
}
