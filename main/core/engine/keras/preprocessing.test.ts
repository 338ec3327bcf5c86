// The preprocessing proposed from a Keras config, on configs shaped like keras.applications' own.
import { describe, expect, it } from 'vitest';
import type { KerasConfig } from './keras-model';
import { detectPreprocessing } from './preprocessing';

/** A Functional config with these model and layer names (an input layer first). */
function config(name: string, layers: [string, string][]): KerasConfig {
  return {
    class_name: 'Functional',
    config: {
      name,
      layers: [['input_1', 'InputLayer'] as [string, string], ...layers].map(([layer, className]) => ({ class_name: className, config: { name: layer } })),
    },
  };
}

describe('the preprocessing a Keras config suggests', () => {
  it.each([
    ['vgg16', 'caffe'],
    ['resnet50', 'caffe'],
    ['resnet152', 'caffe'],
    ['resnet50v2', 'mobilenet'],
    ['mobilenet_1.00_224', 'mobilenet'],
    ['mobilenetv2_1.00_224', 'mobilenet'],
    ['inception_v3', 'mobilenet'],
    ['xception', 'mobilenet'],
    ['densenet121', 'torch'],
    ['efficientnetb0', 'raw'],
    ['MobilenetV3small', 'raw'],
    ['convnext_tiny', 'raw'],
  ])('keras.applications model %s: %s', (name, preset) => {
    expect(detectPreprocessing(config(name, [['conv', 'Conv2D']]))).toEqual({ preset, reason: `keras.applications model ${name.toLowerCase()}` });
  });

  it('knows a fine-tuned copy by its base model’s name or its layer names', () => {
    expect(detectPreprocessing(config('model', [['conv', 'Conv2D']]), ['resnet50'])?.preset).toBe('caffe');
    const resnet: [string, string][] = [['conv1_conv', 'Conv2D'], ['conv2_block1_1_conv', 'Conv2D'], ['conv2_block1_0_conv', 'Conv2D']];
    expect(detectPreprocessing(config('sequential', resnet))).toEqual({ preset: 'caffe', reason: 'ResNet layer names (conv1_conv …)' });
    expect(detectPreprocessing(config('sequential', [...resnet, ['conv2_block1_preact_bn', 'BatchNormalization']]))?.preset).toBe('mobilenet');
    const vgg: [string, string][] = ['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1'].map((name) => [name, 'Conv2D']);
    expect(detectPreprocessing(config('my_net', vgg))).toEqual({ preset: 'caffe', reason: 'VGG layer names (block1_conv1 …)' });
  });

  it('takes 0–255 pixels for a model that rescales them itself, and says nothing otherwise', () => {
    expect(detectPreprocessing(config('mine', [['scale', 'Rescaling'], ['conv', 'Conv2D']]))?.preset).toBe('raw');
    expect(detectPreprocessing(config('mine', [['conv', 'Conv2D'], ['scale', 'Rescaling']]))).toBeNull();
  });
});
