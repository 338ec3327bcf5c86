// Proposes a preprocessing preset from a Keras config: keras.applications models by their name (each family's
// preprocess_input mode), VGG-style networks by their layer names, and models that scale their own input.
import type { PreprocessingPreset } from '../preprocess';
import { configLayers, layerName, type KerasConfig } from './keras-model';

/** keras.applications model names → their preprocess_input mode: caffe, tf (= mobilenet, [-1, 1]), torch. */
const APPLICATION_PRESETS: [RegExp, PreprocessingPreset][] = [
  // These include their own scaling layers and take 0–255 pixels (before the mobilenet rule: MobilenetV3…).
  [/^(efficientnet|convnext|mobilenetv3|regnet)/, 'raw'],
  [/^(vgg16|vgg19|resnet50|resnet101|resnet152)$/, 'caffe'],
  [/^(resnet\d+v2|mobilenet|inception_v3|inception_resnet_v2|xception|nasnet)/, 'mobilenet'],
  [/^densenet/, 'torch'],
];

/** Layer names keras.applications gives an architecture: fine-tuned copies keep them whatever the model is called. */
const LAYER_SIGNATURES: { names: string[]; without?: string; preset: PreprocessingPreset; family: string }[] = [
  { names: ['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1'], preset: 'caffe', family: 'VGG' },
  // ResNet50/101/152 (v1: caffe); the V2 models have conv2_block1_preact_bn and scale to [-1, 1].
  { names: ['conv1_conv', 'conv2_block1_1_conv', 'conv2_block1_0_conv'], without: 'conv2_block1_preact_bn', preset: 'caffe', family: 'ResNet' },
  { names: ['conv1_conv', 'conv2_block1_preact_bn'], preset: 'mobilenet', family: 'ResNetV2' },
];

/**
 * A preset and why, or null when the config says nothing about it. `nestedModels`: the names of models that were
 * nested in it (a transfer-learning base model keeps its keras.applications name, e.g. vgg16).
 */
export function detectPreprocessing(modelConfig: KerasConfig, nestedModels: string[] = []): { preset: PreprocessingPreset; reason: string } | null {
  const layers = configLayers(modelConfig);
  // Checked first: a model that scales or normalises its pixels itself takes them raw, whatever base model it wraps.
  const first = layers.find((layer) => layer.class_name !== 'InputLayer');
  if (first?.class_name === 'Rescaling' || first?.class_name === 'Normalization') {
    return { preset: 'raw', reason: `its first layer ${layerName(first)} ${first.class_name === 'Rescaling' ? 'scales' : 'normalises'} the pixels itself` };
  }
  for (const name of [String(modelConfig.config.name ?? ''), ...nestedModels].map((text) => text.toLowerCase())) {
    const application = APPLICATION_PRESETS.find(([pattern]) => pattern.test(name));
    if (application) return { preset: application[1], reason: `keras.applications model ${name}` };
  }
  const names = new Set(layers.map(layerName));
  const signature = LAYER_SIGNATURES.find((entry) => entry.names.every((name) => names.has(name)) && !(entry.without && names.has(entry.without)));
  if (signature) return { preset: signature.preset, reason: `${signature.family} layer names (${signature.names[0]} …)` };
  return null;
}
