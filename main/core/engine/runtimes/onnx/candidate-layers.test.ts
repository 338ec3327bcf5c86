// How a probed tensor's dims map to a grid (the zoo test covers the default layer on real exports).
import { describe, expect, it } from 'vitest';
import { leadingTokens } from '../../cam/grid-view';
import { PROBE_BATCH, gridOf } from './candidate-layers';

const n = PROBE_BATCH;

describe('gridOf', () => {
  it('reads NCHW, channels-last and token tensors as [h, w, c]', () => {
    expect(gridOf([n, 128, 7, 7], n)).toEqual({ layout: 'nchw', shape: [7, 7, 128] });
    expect(gridOf([n, 7, 7, 128], n)).toEqual({ layout: 'nhwc', shape: [7, 7, 128] });
    expect(gridOf([n, 50, 64], n)).toEqual({ layout: 'tokens', shape: [7, 7, 64] });
    expect(gridOf([n, 49, 64], n)).toEqual({ layout: 'tokens', shape: [7, 7, 64] });
  });

  it('refuses a 4-D tensor with unequal sides: Sightline feeds square images, so it is an attention’s inside', () => {
    expect(gridOf([n, 6, 12, 6], n)).toBeNull();
    expect(gridOf([n, 3, 64, 197], n)).toBeNull(); // timm DeiT's [n, heads, head size, tokens]
    expect(gridOf([n, 197, 3, 64], n)).toBeNull(); // its queries before the transpose
  });

  it('takes a cube [n, s, s, s] for NCHW, as PyTorch lays out convolutions', () => {
    expect(gridOf([n, 7, 7, 7], n)).toEqual({ layout: 'nchw', shape: [7, 7, 7] });
  });

  it('refuses grids under 2 × 2, tensors whose first axis is not the batch, and other ranks', () => {
    expect(gridOf([n, 768, 1, 1], n)).toBeNull();
    expect(gridOf([n, 1, 1, 768], n)).toBeNull(); // ConvNeXt's LayerNorm2d on the pooled features
    expect(gridOf([n, 2, 64], n)).toBeNull(); // class token + one patch
    expect(gridOf([n, 12, 64], n)).toBeNull(); // neither s² nor 1 + s²
    expect(gridOf([2 * n, 50, 32], n)).toBeNull(); // attention heads folded into the batch axis
    expect(gridOf([50, n, 64], n)).toBeNull(); // sequence-first inside attention
    expect(gridOf([n, 1000], n)).toBeNull();
  });
});

describe('leadingTokens', () => {
  it('counts the class token before the grid, or none', () => {
    expect(leadingTokens(50, 7)).toBe(1);
    expect(leadingTokens(49, 7)).toBe(0);
  });
});
