// ONNX graphs written node by node, the way torch.onnx.export lays them out, with the attribute
// combinations the converter never writes (grouped and dilated convolutions, asymmetric pads, SAME_LOWER,
// ceil_mode, count_include_pad, Pad with a value, Squeeze/Unsqueeze/Transpose in the classifier), and one
// whose head holds ops that cannot be rebuilt; and a small vision transformer whose head spells out what
// exporters write for LayerNorm (decomposed), attention and the element-wise ops around them.
import { seededValues } from '../../../test-support/model-files';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from '../graph-builder';

export const EXOTIC_SIZE = 12;
export const EXOTIC_TARGET = '/stem/Conv_output_0';
export const EXOTIC_CLASSES = 5;

/** Opset 14 by default: the first with HardSwish. */
function model(b: GraphBuilder, size: number, output: string, classes: number, opset = Math.max(OPSET, 14)): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'torch-jit-export',
      node: b.nodes,
      initializer: b.initializers,
      input: [floatValueInfo('input', ['batch', 3, size, size])],
      output: [floatValueInfo(output, ['batch', classes])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** Seeded weights scaled to keep activations of order 1. */
function weights(b: GraphBuilder, name: string, dims: number[], seed: number, scale = 1, offset = 0): string {
  const count = dims.reduce((p, s) => p * s, 1);
  return b.floats(name, seededValues(count, seed).map((v) => v * scale + offset), dims);
}

/**
 * input [N, 3, 12, 12] → Conv (the target, 4 channels) → grouped dilated Conv with asymmetric pads and
 * strides [1, 2] → Elu(0.5) → depthwise Conv ×2 SAME_LOWER stride 2 → BatchNormalization → Clip(min only)
 * → HardSwish, then two branches: MaxPool 3×3 ceil_mode with asymmetric pads, and AveragePool
 * count_include_pad ceil_mode → Pad(0.5) → HardSigmoid. The classifier reads global pools, a ReduceMean
 * without keepdims, Squeeze/Unsqueeze/Transpose, an NCHW Flatten of a map, Concat, Gemm, Sub and Div.
 */
export function exoticHeadModel(): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const stem = b.op('Conv', [input, weights(b, 'stem.weight', [4, 3, 3, 3], 1, 0.5), weights(b, 'stem.bias', [4], 2, 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/stem/Conv', b.reserve(EXOTIC_TARGET));
  const grouped = b.op(
    'Conv',
    [stem, weights(b, 'grouped.weight', [6, 2, 3, 3], 3, 0.5), weights(b, 'grouped.bias', [6], 4, 0.1)],
    { kernel_shape: [3, 3], group: 2, dilations: [2, 1], pads: [2, 1, 1, 0], strides: [1, 2] },
    '/grouped/Conv',
  );
  const elu = b.op('Elu', [grouped], { alpha: { float: 0.5 } }, '/elu/Elu');
  const depthwise = b.op('Conv', [elu, weights(b, 'dw.weight', [12, 1, 3, 3], 5, 0.6)], { kernel_shape: [3, 3], group: 6, auto_pad: 'SAME_LOWER', strides: [2, 2] }, '/dw/Conv');
  const bn = b.op(
    'BatchNormalization',
    [depthwise, weights(b, 'bn.weight', [12], 6, 0.2, 1), weights(b, 'bn.bias', [12], 7, 0.2), weights(b, 'bn.running_mean', [12], 8, 0.2), weights(b, 'bn.running_var', [12], 9, 0.3, 1)],
    { epsilon: { float: 1e-3 } },
    '/bn/BatchNormalization',
  );
  const clipped = b.op('Clip', [bn, b.scalar('/clip/min', -1)], {}, '/clip/Clip');
  const swish = b.op('HardSwish', [clipped], {}, '/act/HardSwish');
  const maxPooled = b.op('MaxPool', [swish], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil_mode: 1 }, '/maxpool/MaxPool');
  const avgPooled = b.op('AveragePool', [swish], { kernel_shape: [2, 2], strides: [2, 1], pads: [1, 0, 0, 1], ceil_mode: 1, count_include_pad: 1 }, '/avgpool/AveragePool');
  const padded = b.op('Pad', [avgPooled, b.int64s('/pad/pads', [0, 0, 1, 0, 0, 0, 0, 2]), b.scalar('/pad/value', 0.5)], { mode: 'constant' }, '/pad/Pad');
  const gate = b.op('HardSigmoid', [padded], { alpha: { float: 0.3 }, beta: { float: 0.4 } }, '/gate/HardSigmoid');
  const averages = b.op('GlobalAveragePool', [gate], {}, '/gap/GlobalAveragePool');
  const peaks = b.op('GlobalMaxPool', [maxPooled], {}, '/gmp/GlobalMaxPool');
  const pooled = b.op('Concat', [averages, peaks], { axis: 1 }, '/cat/Concat');
  const squeezed = b.op('Squeeze', [pooled, b.int64s('/squeeze/axes', [3, 2])], {}, '/squeeze/Squeeze');
  const unsqueezed = b.op('Unsqueeze', [squeezed, b.int64s('/unsqueeze/axes', [1])], {}, '/unsqueeze/Unsqueeze');
  const turned = b.op('Transpose', [unsqueezed], { perm: [0, 2, 1] }, '/turn/Transpose');
  const vector = b.op('Flatten', [turned], { axis: 1 }, '/flat1/Flatten');
  const rowMeans = b.op('ReduceMean', [avgPooled], { axes: [3, -2], keepdims: 0 }, '/mean/ReduceMean');
  const map = b.op('Flatten', [maxPooled], { axis: 1 }, '/flat2/Flatten');
  const features = b.op('Concat', [vector, rowMeans, map], { axis: -1 }, '/features/Concat');
  const width = 24 + 12 + 12 * 3 * 2;
  const fc = b.op('Gemm', [features, weights(b, 'fc.weight', [EXOTIC_CLASSES, width], 10, 0.3), weights(b, 'fc.bias', [EXOTIC_CLASSES], 11, 0.1)], { transB: 1 }, '/fc/Gemm');
  const shifted = b.op('Sub', [fc, weights(b, 'shift', [EXOTIC_CLASSES], 12, 0.5)], {}, '/shift/Sub');
  b.op('Div', [shifted, b.scalar('/scale/value', 1.5)], {}, '/scale/Div', b.reserve('scores'));
  return model(b, EXOTIC_SIZE, 'scores', EXOTIC_CLASSES);
}

export const UNSUPPORTED_TARGET = '/conv/Conv_output_0';

/** input [N, 3, 8, 8] → Conv (target) → Resize ×2 → MaxPool with dilations → GlobalAveragePool → Flatten → Gemm (3). */
export function unsupportedHeadModel(): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const conv = b.op('Conv', [input, weights(b, 'conv.weight', [4, 3, 3, 3], 21, 0.5)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/conv/Conv', b.reserve(UNSUPPORTED_TARGET));
  const scales = b.floats('/up/scales', Float32Array.from([1, 1, 2, 2]), [4]);
  const up = b.op('Resize', [conv, '', scales], { mode: 'nearest' }, '/up/Resize', b.reserve('/up/Resize_output_0'));
  const pooled = b.op('MaxPool', [up], { kernel_shape: [2, 2], dilations: [2, 2] }, '/pool/MaxPool', b.reserve('/pool/MaxPool_output_0'));
  const flat = b.op('Flatten', [b.op('GlobalAveragePool', [pooled], {}, '/gap')], { axis: 1 }, '/flatten');
  b.op('Gemm', [flat, weights(b, 'fc.weight', [3, 4], 22), weights(b, 'fc.bias', [3], 23)], { transB: 1 }, '/fc/Gemm', b.reserve('scores'));
  return model(b, 8, 'scores', 3);
}

export const TOKEN_SIZE = 16;
export const TOKEN_TARGET = '/tokens/Add_output_0';
export const TOKEN_CLASSES = 3;

/**
 * Opset 20 (Gelu). input [N, 3, 16, 16] → 4 × 4 patches (Conv stride 4, 6 channels) → tokens [N, 16, 6]
 * after an expanded class token → + position (the target, [N, 17, 6]: a 4 × 4 grid) → LayerNorm written out
 * (ReduceMean, Sub, Pow, Sqrt, Div) → q, k, v (MatMul, Split) → scores (batched MatMul, Transpose, Div),
 * leaky through Where(Greater), Softmax → MatMul v → Gelu → + an Expanded bias → Max(Abs, Exp(Neg)), Log,
 * Min → the class token (Gather) and the mean of the others (Slice, ReduceMean) → Gemm (3 classes).
 */
export function tokenHeadModel(): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const patches = b.op('Conv', [input, weights(b, 'patch.weight', [6, 3, 4, 4], 51, 0.3)], { kernel_shape: [4, 4], strides: [4, 4] }, '/patch/Conv');
  const flat = b.op('Reshape', [patches, b.int64s('/flat/shape', [0, 6, 16])], {}, '/flat/Reshape');
  const rows = b.op('Transpose', [flat], { perm: [0, 2, 1] }, '/rows/Transpose');
  const batch = b.op('Gather', [b.op('Shape', [input], {}, '/n/Shape'), b.int64s('/n/index', [0])], { axis: 0 }, '/n/Gather');
  const clsShape = b.op('Concat', [batch, b.int64s('/cls/rest', [1, 6])], { axis: 0 }, '/cls/Concat');
  const cls = b.op('Expand', [weights(b, 'cls_token', [1, 1, 6], 52), clsShape], {}, '/cls/Expand');
  const joined = b.op('Concat', [cls, rows], { axis: 1 }, '/join/Concat');
  const tokens = b.op('Add', [joined, weights(b, 'position', [1, 17, 6], 53, 0.5)], {}, '/tokens/Add', b.reserve(TOKEN_TARGET));
  const last = b.int64s('/ln/axes', [-1]);
  const centred = b.op('Sub', [tokens, b.op('ReduceMean', [tokens, last], {}, '/ln/mean')], {}, '/ln/Sub');
  const variance = b.op('ReduceMean', [b.op('Pow', [centred, b.scalar('/ln/two', 2)], {}, '/ln/Pow'), last], {}, '/ln/var');
  const deviation = b.op('Sqrt', [b.op('Add', [variance, b.scalar('/ln/eps', 1e-5)], {}, '/ln/AddEps')], {}, '/ln/Sqrt');
  const normal = b.op('Div', [centred, deviation], {}, '/ln/Div');
  const ln = b.op('Add', [b.op('Mul', [normal, weights(b, 'ln.weight', [6], 54, 0.2, 1)], {}, '/ln/Mul'), weights(b, 'ln.bias', [6], 55, 0.2)], {}, '/ln/Add');
  const qkv = b.op('MatMul', [ln, weights(b, 'qkv.weight', [6, 6], 56, 1.5)], {}, '/attn/qkv');
  const [q, k, v] = ['q', 'k', 'v'].map((part) => b.fresh(`/attn/${part}`));
  b.nodes.push({ opType: 'Split', name: b.fresh('/attn/Split'), input: [qkv], output: [q, k, v], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }, { name: 'num_outputs', type: onnx.AttributeProto.AttributeType.INT, i: 3 }] });
  const scores = b.op('Div', [b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 2, 1] }, '/attn/kT')], {}, '/attn/scores'), b.scalar('/attn/scale', Math.SQRT2)], {}, '/attn/Div');
  const leaky = b.op('Where', [b.op('Greater', [scores, b.scalar('/attn/zero', 0)], {}, '/attn/Greater'), scores, b.op('Mul', [scores, b.scalar('/attn/slope', 0.1)], {}, '/attn/slope')], {}, '/attn/Where');
  const attention = b.op('Softmax', [leaky], { axis: -1 }, '/attn/Softmax');
  const mixed = b.op('Gelu', [b.op('MatMul', [attention, v], {}, '/attn/context')], {}, '/mlp/Gelu');
  const bias = b.op('Expand', [weights(b, 'mlp.bias', [1, 1, 2], 57, 0.3), b.op('Shape', [mixed], {}, '/mlp/Shape')], {}, '/mlp/Expand');
  const shifted = b.op('Add', [mixed, bias], {}, '/mlp/Add');
  const peak = b.op('Max', [b.op('Abs', [shifted], {}, '/mix/Abs'), b.op('Exp', [b.op('Neg', [shifted], {}, '/mix/Neg')], {}, '/mix/Exp')], {}, '/mix/Max');
  const squashed = b.op('Min', [b.op('Log', [b.op('Add', [peak, b.scalar('/mix/one', 1)], {}, '/mix/AddOne')], {}, '/mix/Log'), b.scalar('/mix/cap', 2)], {}, '/mix/Min');
  const classToken = b.op('Flatten', [b.op('Gather', [squashed, b.int64s('/pool/cls', [0])], { axis: 1 }, '/pool/Gather')], { axis: 1 }, '/pool/cls');
  const others = b.op('Slice', [squashed, b.int64s('/pool/starts', [1]), b.int64s('/pool/ends', [1000]), b.int64s('/pool/axes', [1])], {}, '/pool/Slice');
  const mean = b.op('ReduceMean', [others, b.int64s('/pool/mean_axes', [1])], { keepdims: 0 }, '/pool/mean');
  const features = b.op('Concat', [classToken, mean], { axis: 1 }, '/pool/Concat');
  b.op('Gemm', [features, weights(b, 'head.weight', [TOKEN_CLASSES, 4], 58, 4), weights(b, 'head.bias', [TOKEN_CLASSES], 59, 0.1)], { transB: 1 }, '/head/Gemm', b.reserve('scores'));
  return model(b, TOKEN_SIZE, 'scores', TOKEN_CLASSES, 20);
}
