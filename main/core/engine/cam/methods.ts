// The CAM methods. The pipeline (cam/pipeline.ts) supplies the target layer's activations A [N, h, w, C]
// and, depending on the method, the gradients G = ∂y_c/∂A or one score per channel; each method only says
// how those become the map (before the ReLU that the pipeline applies to every method).
// Formulas follow pytorch-grad-cam; see __fixtures__/golden/README.md.
import * as tf from '@tensorflow/tfjs-core';
import { principalComponentMaps } from './eigen';
import type { CamMethod } from '../../../../common/types';

/** How one method turns the target layer's activations (and its gradients or channel scores) into a map. */
export type CamFormula =
  | { uses: 'gradients'; map(activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor3D }
  /** `scores` [N, C]: the class score of the input masked by each upsampled activation channel. */
  | { uses: 'channel-scores'; map(activations: tf.Tensor4D, scores: tf.Tensor2D): tf.Tensor3D }
  | { uses: 'activations'; map(activations: tf.Tensor4D): tf.Tensor3D };

/** Σ_k w_k A_k for per-image channel weights `weights` [N, C]. */
function weightedSum(activations: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor3D {
  const [n, , , c] = activations.shape;
  return tf.sum(tf.mul(activations, tf.reshape(weights, [n, 1, 1, c])), -1);
}

const SPATIAL: [number, number] = [1, 2];

export const camMethods: Record<CamMethod, CamFormula> = {
  // Selvaraju et al., "Grad-CAM", ICCV 2017, arXiv:1610.02391, eq. 1–2: w_k = mean_ij G_k.
  GradCAM: {
    uses: 'gradients',
    map: (a, g) => weightedSum(a, tf.mean(g, SPATIAL)),
  },
  // Draelos & Carin, arXiv:2011.08891, eq. 4: Σ_k G_k ⊙ A_k.
  HiResCAM: {
    uses: 'gradients',
    map: (a, g) => tf.sum(tf.mul(g, a), -1),
  },
  // Chattopadhyay et al., "Grad-CAM++", WACV 2018, arXiv:1710.11063, eq. 19 with the higher derivatives
  // of an exponential score: α = g² / (2g² + Σ_ij A_k · g³), w_k = Σ_ij α · relu(g).
  GradCAMPlusPlus: {
    uses: 'gradients',
    map: (a, g) => {
      const g2 = tf.square(g);
      const activationSums = tf.sum(a, SPATIAL, true);
      const alpha = tf.div(g2, tf.addN([tf.mul(g2, 2), tf.mul(activationSums, tf.mul(g2, g)), tf.fill(g.shape, 1e-6)]));
      const alphaWhereGradient = tf.where(tf.notEqual(g, 0), alpha, tf.zerosLike(alpha));
      return weightedSum(a, tf.sum(tf.mul(alphaWhereGradient, tf.relu(g)), SPATIAL));
    },
  },
  // Fu et al., "Axiom-based Grad-CAM", BMVC 2020, arXiv:2008.02312, eq. 9: w_k = Σ_ij G_k A_k / Σ_ij A_k.
  XGradCAM: {
    uses: 'gradients',
    map: (a, g) => weightedSum(a, tf.div(tf.sum(tf.mul(g, a), SPATIAL), tf.add(tf.sum(a, SPATIAL), 1e-7))),
  },
  // Jiang et al., "LayerCAM", IEEE TIP 30 (2021), eq. 4–5: Σ_k relu(G_k) ⊙ A_k.
  LayerCAM: {
    uses: 'gradients',
    map: (a, g) => tf.sum(tf.mul(tf.relu(g), a), -1),
  },
  // pytorch-grad-cam's element-wise variant (no paper): Σ_k relu(G_k ⊙ A_k).
  GradCAMElementWise: {
    uses: 'gradients',
    map: (a, g) => tf.sum(tf.relu(tf.mul(g, a)), -1),
  },
  // Wang et al., "Score-CAM", CVPRW 2020, arXiv:1910.01279, eq. 6–8: w = softmax_k(y_c(X ⊙ M_k)).
  ScoreCAM: {
    uses: 'channel-scores',
    map: (a, scores) => weightedSum(a, tf.softmax(scores)),
  },
  // Muhammad & Yeasin, "Eigen-CAM", IJCNN 2020, arXiv:2008.00299: projection on the first principal component.
  EigenCAM: {
    uses: 'activations',
    map: (a) => principalComponentMaps(a),
  },
};
