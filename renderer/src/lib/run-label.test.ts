import { describe, expect, it } from 'vitest';
import { runLabel } from './run-label';

describe('run labels', () => {
  it('name the model, the method and the layer', () => {
    expect(runLabel({ id: 3, modelName: 'zoo resnet (random weights)', method: 'GradCAM', layer: '/layer4/layer4.0/relu_1/Relu_output_0' })).toBe(
      '#3 zoo resnet (random weights) · Grad-CAM @ /layer4/layer4.0/relu_1/Relu_output_0',
    );
  });
});
