// The forward pass, as one replaceable step: from the preprocessed batch to the logits and the tensors
// the head needs (the target layer's activations and any tensor that enters the head from elsewhere).
// Everything after it (the head's gradient, the CAM formulas) only sees this interface, so another
// runtime can compute the same tensors.
import * as tf from '@tensorflow/tfjs-core';
import { planForward } from '../../fused-convolutions';
import { runOps, type LayerGraph } from '../../layer-graph';

export interface ForwardResult {
  /** [N, classes]. */
  logits: tf.Tensor2D;
  /** The tensors asked for, by tensor id in the layer graph; the caller disposes them. */
  kept: Map<number, tf.Tensor>;
}

export interface ForwardStep {
  /** Runs the batch `x` (the caller keeps ownership of it). */
  run(x: tf.Tensor4D): ForwardResult;
  dispose(): void;
}

/** The TF.js layers forward pass that keeps the tensors `keep`, with convolutions fused where nothing is kept. */
export function layersForward(graph: LayerGraph, keep: number[]): ForwardStep {
  const observed = new Set([...keep, graph.output]);
  const plan = planForward(graph, observed);
  return {
    run(x) {
      const values = new Map<number, tf.Tensor>([[graph.input, x]]);
      runOps(plan.ops, values, observed, (op, inputs) => op.apply(inputs));
      const output = values.get(graph.output)!;
      const logits = asClassVectors(output);
      if (!keep.includes(graph.output)) output.dispose();
      // The caller owns x; a head that reads the input directly gets its own handle to dispose.
      const kept = new Map(keep.map((id) => [id, id === graph.input ? x.clone() : values.get(id)!]));
      return { logits, kept };
    },
    dispose: () => plan.weights.forEach((weight) => weight.dispose()),
  };
}

export function asClassVectors(output: tf.Tensor): tf.Tensor2D {
  return tf.reshape(output, [output.shape[0], -1]);
}
