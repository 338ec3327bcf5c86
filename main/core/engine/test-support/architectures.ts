// Networks built in the tests with tfjs-layers and random weights: the shapes that the engine must handle.
import * as tfl from '@tensorflow/tfjs-layers';

type Symbolic = tfl.SymbolicTensor;
type Layer = tfl.SymbolicTensor['sourceLayer'];

/**
 * A small functional net: max-pooling over a linear conv (negative maxima), depthwise and plain convs with
 * batch normalisation, a residual add with a branch that bypasses the target layer.
 */
export function smallResidualNet(inputSize = 32, seed = 7): tfl.LayersModel {
  // Seeded weights: the same net on every run. (Unseeded, a rare draw left a channel whose activations sum to
  // nearly zero, and XGradCAM, which divides by that sum, magnified the backends' float32 rounding 100-fold.)
  const glorot = (k: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + k });
  const normal = (k: number) => tfl.initializers.randomNormal({ seed: seed * 100 + k });
  const input = tfl.input({ shape: [inputSize, inputSize, 3] });
  const target = tfl.layers.conv2d({ name: 'target_conv', filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: glorot(1) }).apply(input) as Symbolic;
  const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(target) as Symbolic;
  const depthwise = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: glorot(2) }).apply(pooled) as Symbolic;
  const normalised = tfl.layers
    .batchNormalization({ movingMeanInitializer: normal(3), movingVarianceInitializer: 'ones', betaInitializer: normal(4) })
    .apply(depthwise) as Symbolic;
  const activated = tfl.layers.reLU({ maxValue: 6 }).apply(normalised) as Symbolic;
  const conv = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(5) }).apply(activated) as Symbolic;
  const bypass = tfl.layers.conv2d({ name: 'bypass', filters: 8, kernelSize: 1, strides: 2, kernelInitializer: glorot(6) }).apply(input) as Symbolic;
  const sum = tfl.layers.add().apply([conv, bypass, pooled]) as Symbolic;
  const pooledFeatures = tfl.layers.globalAveragePooling2d({}).apply(sum) as Symbolic;
  const output = tfl.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: glorot(7) }).apply(pooledFeatures) as Symbolic;
  return tfl.model({ inputs: input, outputs: output });
}

/**
 * VGG16 (Simonyan & Zisserman, arXiv:1409.1556, configuration D) as Keras builds it, with the Keras layer
 * names (block5_conv3 …) and random He-normal weights. At 224² the target block5_conv3 is 14×14; a smaller
 * `inputSize` keeps the architecture and shrinks the maps and fc1.
 */
export function vgg16(inputSize: number, classes = 1000): tfl.LayersModel {
  const blocks = [
    [2, 64],
    [2, 128],
    [3, 256],
    [3, 512],
    [3, 512],
  ];
  const layers: Layer[] = [];
  blocks.forEach(([convs, filters], block) => {
    for (let conv = 1; conv <= convs; conv++) {
      layers.push(
        tfl.layers.conv2d({
          name: `block${block + 1}_conv${conv}`,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: 'heNormal',
          ...(block === 0 && conv === 1 && { inputShape: [inputSize, inputSize, 3] }),
        }),
      );
    }
    layers.push(tfl.layers.maxPooling2d({ name: `block${block + 1}_pool`, poolSize: 2, strides: 2 }));
  });
  layers.push(
    tfl.layers.flatten({ name: 'flatten' }),
    tfl.layers.dense({ name: 'fc1', units: 4096, activation: 'relu', kernelInitializer: 'heNormal' }),
    tfl.layers.dense({ name: 'fc2', units: 4096, activation: 'relu', kernelInitializer: 'heNormal' }),
    tfl.layers.dense({ name: 'predictions', units: classes, activation: 'softmax' }),
  );
  return tfl.sequential({ name: 'vgg16', layers });
}
