// Conv2D layers call tf.fused.conv2d, even with a linear activation and inside a gradient. Its gradient
// computes the kernel gradient eagerly although Grad-CAM only wants the input gradient: on the cpu kernel
// that is seconds per image for MobileNet's last pointwise convolutions. The head therefore replays Conv2D
// layers as separate conv2d + bias + activation ops, whose kernel gradients are never asked for.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.SymbolicTensor['sourceLayer'];

interface Conv2DConfig {
  strides: [number, number];
  padding: 'valid' | 'same';
  dataFormat: 'channelsLast' | 'channelsFirst';
  dilationRate: [number, number];
  useBias: boolean;
}

/** The layer applied to `inputs` with unfused ops when it is a channels-last Conv2D, else null. */
export function applyConv2dUnfused(layer: Layer, inputs: tf.Tensor[]): tf.Tensor | null {
  if (layer.getClassName() !== 'Conv2D' || inputs.length !== 1) return null;
  const config = layer.getConfig() as unknown as Conv2DConfig;
  if (config.dataFormat !== 'channelsLast') return null;
  const [kernel, bias] = layer.weights.map((weight) => weight.read());
  const convolved = tf.conv2d(
    inputs[0] as tf.Tensor4D,
    kernel as tf.Tensor4D,
    config.strides,
    config.padding,
    'NHWC',
    config.dilationRate,
  );
  const biased = config.useBias ? tf.add(convolved, bias) : convolved;
  return (layer as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } }).activation.apply(biased);
}
