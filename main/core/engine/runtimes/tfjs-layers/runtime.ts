// The TF.js layers runtime: the model's own layers compute the forward pass (convolutions fused with
// their batch norm and activation, forward.ts) and TF.js differentiates the head after the target layer,
// through the CAM pipeline (cam/pipeline.ts) like every runtime.
import type * as tf from '@tensorflow/tfjs-core';
import { explainBatch, type CamRequest, type ImageExplanation } from '../../cam/pipeline';
import type { CamTarget } from '../../cam/network';
import type { LoadedModel } from '../../model';
import type { PixelBatch } from '../../preprocess';
import { runtimeModelOf, type ExplainRuntime, type RuntimeModel, type RuntimeReport } from '../../runtime';
import { LayersNetwork, layersTarget } from './network';

export class TfjsLayersRuntime implements ExplainRuntime {
  readonly report: RuntimeReport;
  readonly model: RuntimeModel;
  private readonly network: LayersNetwork;
  private readonly targets = new Map<string, CamTarget<number>>();

  /** Takes ownership of `loaded`; throws (without disposing it) when `layer` is not a CAM target. */
  constructor(
    private readonly loaded: LoadedModel,
    layer: string | undefined,
    fallbackReason?: string,
  ) {
    this.network = new LayersNetwork(loaded.graph);
    const defaultTarget = this.add(layersTarget(loaded, layer));
    this.report = { name: 'tfjs-layers', ...(fallbackReason && { fallbackReason }) };
    this.model = runtimeModelOf(loaded, defaultTarget.layer.name);
  }

  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return explainBatch(this.network, this.target(request.layer), x, request);
  }

  explainPixels(batch: PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return explainBatch(this.network, this.target(request.layer), batch, request);
  }

  async dispose(): Promise<void> {
    this.network.dispose();
    this.targets.clear();
    this.loaded.dispose();
  }

  /** The target at `layer` (default: the model's default layer). */
  private target(layer: string = this.model.defaultLayer): CamTarget<number> {
    return this.targets.get(layer) ?? this.add(layersTarget(this.loaded, layer));
  }

  /** Keeps `target`, with the network's plan for it built. */
  private add(target: CamTarget<number>): CamTarget<number> {
    this.network.prepare([target.tensor, ...target.constants]);
    this.targets.set(target.layer.name, target);
    return target;
  }
}
