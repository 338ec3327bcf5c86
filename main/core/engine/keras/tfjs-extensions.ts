// Activations and layer options Keras has and TF.js layers does not, registered with TF.js's serialization map
// under the names tfjs-adapt.ts writes into a config, so that a layers model built from it computes what Keras
// computes, with gradients (they are made of differentiable ops). The ONNX converter (layer-ops.ts) knows them by
// the same names. Imported by model.ts before any layers model is built.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Keras 3's hard_silu / hard_swish: x · relu6(x + 3) / 6 (MobileNetV3). */
export const HARD_SILU = 'hardSilu';
/** Keras 3's hard_sigmoid: relu6(x + 3) / 6 (Keras 2's, which TF.js has as hardSigmoid, is clip(0.2 x + 0.5, 0, 1)). */
export const KERAS3_HARD_SIGMOID = 'keras3HardSigmoid';
/** Keras 3's leaky_relu activation, whose negative slope is 0.2. */
export const LEAKY_RELU = 'leakyRelu';

abstract class KerasActivation extends tf.serialization.Serializable {
  abstract apply(x: tf.Tensor): tf.Tensor;
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

const hardSigmoid3 = (x: tf.Tensor) => tf.div(tf.relu6(tf.add(x, 3)), 6);

class HardSilu extends KerasActivation {
  static className = HARD_SILU;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(x, hardSigmoid3(x)));
  }
}

class Keras3HardSigmoid extends KerasActivation {
  static className = KERAS3_HARD_SIGMOID;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => hardSigmoid3(x));
  }
}

class LeakyRelu extends KerasActivation {
  static className = LEAKY_RELU;
  apply(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, 0.2);
  }
}

/** GlobalAveragePooling2D / GlobalMaxPooling2D with keepdims=True: [N, H, W, C] → [N, 1, 1, C]. */
export const KEEPDIMS_POOLINGS = { GlobalAveragePooling2D: 'GlobalAveragePooling2DKeepdims', GlobalMaxPooling2D: 'GlobalMaxPooling2DKeepdims' } as const;

type Shape = (number | null)[];

abstract class GlobalPoolingKeepdims extends tfl.layers.Layer {
  protected abstract reduce(x: tf.Tensor): tf.Tensor;
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [batch, , , channels] = inputShape as Shape;
    return [batch, 1, 1, channels];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.reduce(Array.isArray(inputs) ? inputs[0] : inputs));
  }
}

class GlobalAveragePooling2DKeepdims extends GlobalPoolingKeepdims {
  static className = KEEPDIMS_POOLINGS.GlobalAveragePooling2D;
  protected reduce(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2], true);
  }
}

class GlobalMaxPooling2DKeepdims extends GlobalPoolingKeepdims {
  static className = KEEPDIMS_POOLINGS.GlobalMaxPooling2D;
  protected reduce(x: tf.Tensor): tf.Tensor {
    return tf.max(x, [1, 2], true);
  }
}

/** keras.applications.convnext's LayerScale: x · γ, one γ per channel (the last axis). */
class LayerScale extends tfl.layers.Layer {
  static className = 'LayerScale';
  private readonly channels: number;
  private gamma: tfl.LayerVariable | null = null;
  constructor(config: { projection_dim?: number; projectionDim?: number; name?: string }) {
    super(config);
    this.channels = Number(config.projectionDim ?? config.projection_dim);
  }
  override build(): void {
    this.gamma = this.addWeight('gamma', [this.channels], 'float32', tfl.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.gamma!.read()));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), projectionDim: this.channels };
  }
}

for (const extension of [HardSilu, Keras3HardSigmoid, LeakyRelu, GlobalAveragePooling2DKeepdims, GlobalMaxPooling2DKeepdims, LayerScale]) {
  tf.serialization.registerClass(extension);
}
