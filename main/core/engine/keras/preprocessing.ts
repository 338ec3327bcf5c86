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

/** The first layers of the VGG16/VGG19 architecture, under the names keras.applications gives them. */
const VGG_LAYERS = ['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1'];

/** A preset and why, or null when the config says nothing about it. */
export function detectPreprocessing(modelConfig: KerasConfig): { preset: PreprocessingPreset; reason: string } | null {
  const modelName = String(modelConfig.config.name ?? '').toLowerCase();
  const application = APPLICATION_PRESETS.find(([pattern]) => pattern.test(modelName));
  if (application) return { preset: application[1], reason: `keras.applications model ${modelName}` };
  const layers = configLayers(modelConfig);
  const names = new Set(layers.map(layerName));
  if (VGG_LAYERS.every((name) => names.has(name))) return { preset: 'caffe', reason: 'VGG layer names (block1_conv1 …)' };
  const first = layers.find((layer) => layer.class_name !== 'InputLayer');
  if (first?.class_name === 'Rescaling') return { preset: 'raw', reason: `its first layer ${layerName(first)} scales the pixels itself` };
  return null;
}
