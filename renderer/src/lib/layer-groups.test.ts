import { describe, expect, it } from 'vitest';
import { blockOf, groupLayers, shapeLabel } from './layer-groups';

describe('layer groups', () => {
  it('takes the block of an ONNX export from its first numbered module', () => {
    expect(blockOf('/layer4/layer4.0/relu_1/Relu_output_0')).toBe('layer4');
    expect(blockOf('/layer1/layer1.1/Add_output_0')).toBe('layer1');
    expect(blockOf('/features/features.12/features.12.2/HardSwish_output_0')).toBe('features.12');
    expect(blockOf('/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0')).toBe('encoder_layer_1');
    expect(blockOf('/relu/Relu_output_0')).toBe('relu');
  });

  it('takes the block of a Keras or TF name from its numbered stage or its leading numbered word', () => {
    expect(blockOf('block5_conv3')).toBe('block5');
    expect(blockOf('conv_pw_13_relu')).toBe('stage 13');
    expect(blockOf('conv_dw_13_relu')).toBe('stage 13');
    expect(blockOf('conv5_block3_out')).toBe('conv5');
    expect(blockOf('block6a_expand_activation')).toBe('block6a');
    expect(blockOf('MobilenetV1/Conv2d_13_pointwise/Relu6')).toBe('stage 13');
    expect(blockOf('top_activation')).toBe('top');
    expect(blockOf('flatten')).toBe('flatten');
  });

  it('groups layers in network order with their grid and the default marked', () => {
    const groups = groupLayers(
      [
        { name: 'conv_pw_12_relu', shape: [7, 7, 768] },
        { name: 'conv_dw_13_relu', shape: [7, 7, 768] },
        { name: 'conv_pw_13_relu', shape: [7, 7, 768] },
        { name: 'out_relu' },
      ],
      'conv_pw_13_relu',
    );
    expect(groups.map((g) => g.block)).toEqual(['stage 12', 'stage 13', 'out']);
    expect(groups[1].layers).toEqual([
      { name: 'conv_dw_13_relu', label: 'conv_dw_13_relu · 7×7×768', isDefault: false },
      { name: 'conv_pw_13_relu', label: 'conv_pw_13_relu · 7×7×768 · default', isDefault: true },
    ]);
    expect(groups[2].layers[0].label).toBe('out_relu');
  });

  it('keeps the order when a block comes back later in the list', () => {
    const names = ['/layer1/a/X_output_0', '/layer2/b/X_output_0', '/layer1/c/X_output_0'];
    expect(groupLayers(names.map((name) => ({ name })), null).map((g) => g.block)).toEqual(['layer1', 'layer2', 'layer1']);
  });

  it('writes a grid as h×w×c', () => {
    expect(shapeLabel([14, 14, 256])).toBe('14×14×256');
    expect(shapeLabel(undefined)).toBe('');
  });
});
