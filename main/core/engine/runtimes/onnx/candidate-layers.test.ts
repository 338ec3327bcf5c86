// How a probed tensor's dims map to a grid (the zoo test covers the default layer on real exports).
import { describe, expect, it } from 'vitest';
import { leadingTokens } from '../../cam/grid-view';
import { PROBE_BATCH, attentionInsides, gridOf } from './candidate-layers';
import type { NodeProto } from './graph-builder';

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

describe('attentionInsides', () => {
  // A factorized attention as CoaT's: qkv split into heads, softmax(k)ᵀ v per head, q times that, plus a
  // convolution over the values put back on the image; its result reshaped to tokens, projected, added to the stream.
  const node = (opType: string, input: string[], output: string[]) => ({ opType, input, output }) as unknown as NodeProto;
  const nodes = [
    node('LayerNormalization', ['x', 'scale'], ['norm1']),
    node('MatMul', ['norm1', 'w_qkv'], ['qkv']),
    node('Reshape', ['qkv', 'heads_shape'], ['split']),
    node('Split', ['split'], ['q', 'k', 'v']),
    node('Softmax', ['k'], ['k_softmax']),
    node('MatMul', ['k_softmax', 'v'], ['kv']), // [n, heads, size, size]: square, no grid of the image
    node('MatMul', ['q', 'kv'], ['factor']),
    node('Shape', ['v'], ['v_shape']),
    node('Reshape', ['v', 'v_shape'], ['v_image']), // [n, c, h, w]
    node('Conv', ['v_image', 'w_conv'], ['v_conv']),
    node('Add', ['factor', 'v_conv'], ['both']),
    node('Reshape', ['both', 'token_shape'], ['out_tokens']), // [n, 1 + s², c]: the attention's result
    node('MatMul', ['out_tokens', 'w_proj'], ['proj']),
    node('Add', ['x', 'proj'], ['y']),
    node('Reshape', ['x', 'v_shape'], ['x_reshaped']), // the stream, reshaped by a shape read off an inside
    node('Mul', ['both', 'x'], ['mixed']), // an inside and the stream
  ];
  const data = new Set(['x', 'norm1', 'qkv', 'split', 'q', 'k', 'v', 'k_softmax', 'kv', 'factor', 'v_image', 'v_conv', 'both', 'out_tokens', 'proj', 'y', 'x_reshaped', 'mixed']);
  const inside = attentionInsides(nodes, new Set(['qkv']), new Set(['x', 'norm1', 'qkv', 'out_tokens', 'proj', 'y']), (name) => data.has(name));

  it('takes in what the attention computes from its queries, keys and values', () => {
    for (const name of ['kv', 'factor', 'v_image', 'v_conv', 'both']) expect(inside.has(name), name).toBe(true);
  });

  it('stops at the tokens it hands back, and at the stream it is added to', () => {
    for (const name of ['x', 'norm1', 'out_tokens', 'proj', 'y', 'x_reshaped', 'mixed']) expect(inside.has(name), name).toBe(false);
  });
});
