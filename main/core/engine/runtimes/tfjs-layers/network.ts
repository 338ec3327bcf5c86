// A TF.js layers model as the CAM pipeline's network and target. The network runs the model's own layers
// with convolutions fused with their batch norm and activation (forward.ts); the target's head is every layer after the cut (cut.ts), re-run unfused on
// TF.js's tape.
import type * as tf from '@tensorflow/tfjs-core';
import type { CamHead, CamNetwork, CamTarget, NetworkOutputs } from '../../cam/network';
import { cutAt, forward as layerByLayer, headLogits } from './cut';
import { layersForward, type ForwardStep } from './forward';
import type { LayerGraph } from '../../layer-graph';
import type { LoadedModel } from '../../model';

/**
 * Tensors are the layer graph's tensor ids. A run reuses the first plan that keeps at least the tensors
 * asked for (Score-CAM's masked runs take the target's), so that each target costs one set of fused weights.
 */
export class LayersNetwork implements CamNetwork<number> {
  private readonly plans: { keep: number[]; step: ForwardStep }[] = [];

  constructor(private readonly graph: LayerGraph) {}

  /** Builds the plan that keeps `keep` now rather than on the first run that asks for it. */
  prepare(keep: number[]): void {
    this.plan(keep);
  }

  async run(x: tf.Tensor4D, tensors: number[] = []): Promise<NetworkOutputs<number>> {
    const { logits, kept } = this.plan(tensors).step.run(x);
    for (const [id, tensor] of kept) {
      if (tensors.includes(id)) continue;
      tensor.dispose();
      kept.delete(id);
    }
    return { logits, kept };
  }

  dispose(): void {
    this.plans.forEach((plan) => plan.step.dispose());
    this.plans.length = 0;
  }

  private plan(tensors: number[]): { keep: number[]; step: ForwardStep } {
    let plan = this.plans.find(({ keep }) => tensors.every((id) => keep.includes(id)));
    if (!plan) {
      plan = { keep: tensors, step: layersForward(this.graph, tensors) };
      this.plans.push(plan);
    }
    return plan;
  }
}

/** The model's layers one by one, as it defines them: the reference the fused network is checked against. */
export function layerByLayerNetwork(graph: LayerGraph): CamNetwork<number> {
  return { run: async (x, tensors = []) => layerByLayer(graph, x, tensors) };
}

/** The CAM target at `layerName` (default: the model's default layer); throws when the layer cannot be one. */
export function layersTarget(model: LoadedModel, layerName: string | undefined): CamTarget<number> & { head: CamHead<number> } {
  const { graph } = model;
  const cut = cutAt(model, layerName);
  return {
    layer: { name: cut.layer.name, shape: cut.layer.shape },
    tensor: cut.layer.tensor,
    constants: cut.constants,
    head: (activations, constants) => headLogits(graph, cut, activations, constants),
  };
}
