// Which tensors of an ONNX classifier can be explained, how each maps to the (h, w, c) grid the CAM methods
// see, and which one is the default. Shapes come from one probe run on a batch of PROBE_BATCH images (where
// the model's batch is free), so that the batch axis is known: a tensor whose first axis is not the batch
// (attention heads folded into it, windows, sequence-first layouts inside attention) is no grid of one image.
import type { CandidateLayer, LayerLayout } from '../../../../../common/types';
import type { NodeProto } from './graph-builder';

export const PROBE_BATCH = 2;

export type GridLayer = CandidateLayer & { layout: LayerLayout };

/**
 * The grid of a tensor with these probe dims, or null: NCHW [n, c, h, w] with h = w ≥ 2; channels-last
 * [n, h, w, c] where only the middle axes are equal (Swin); tokens [n, 1 + s², c] or [n, s², c] with s ≥ 2
 * (ViT, DeiT), seen as s × s without the class token. A square 4-D tensor [n, s, s, s] counts as NCHW.
 * Sightline feeds square images, so an image's grid is square: a 4-D tensor with unequal sides is an attention's
 * inside ([n, heads, head size, tokens] in timm's DeiT, LeViT, CoaT), whose map would mean nothing.
 */
export function gridOf(dims: number[], batch: number): Omit<GridLayer, 'name'> | null {
  if (dims[0] !== batch) return null;
  if (dims.length === 4) {
    const [, a, b, c] = dims;
    if (a === b && b !== c && a >= 2) return { layout: 'nhwc', shape: [a, b, c] };
    if (b === c && b >= 2) return { layout: 'nchw', shape: [b, c, a] };
    return null;
  }
  if (dims.length === 3) {
    const [, tokens, c] = dims;
    const side = Math.round(Math.sqrt(tokens));
    const grid = side * side === tokens ? side : Math.round(Math.sqrt(tokens - 1));
    if (grid >= 2 && (grid * grid === tokens || grid * grid === tokens - 1)) return { layout: 'tokens', shape: [grid, grid, c] };
  }
  return null;
}

/**
 * The tensors inside an attention: computed from its queries, keys or values (`heads`: token grids split into
 * heads, or read only to make them) on the way back to the block's tokens. Nodes are walked in graph order; a
 * node whose every data input (`isData`: a float tensor computed from the image, not a weight or a shape) is
 * inside has its outputs inside, except a token grid (`tokenGrids`), where the attention hands its result back.
 * A node that also reads data from outside (the residual stream) ends the walk. So the [n, heads, size, size]
 * of a factorized or cross-covariance attention (CoaT, EdgeNeXt), a convolution over the values split by heads
 * (CoaT's position encoding) and a [n, heads, queries, keys] whose two first sides happen to match (LeViT's
 * attention downsampling, 16 heads on 4 × 4 queries) are no grid of the image however square they look.
 */
export function attentionInsides(
  nodes: NodeProto[],
  heads: Set<string>,
  tokenGrids: Set<string>,
  isData: (name: string) => boolean,
): Set<string> {
  const inside = new Set(heads);
  for (const node of nodes) {
    const data = node.input.filter(isData);
    if (data.length === 0 || !data.every((name) => inside.has(name))) continue;
    for (const name of node.output) if (name !== '' && !tokenGrids.has(name)) inside.add(name);
  }
  return inside;
}

/** Ops after which the class scores no longer have a spatial grid. */
const REDUCTIONS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'ReduceSum', 'Flatten', 'Gather', 'Slice']);
/** Ops a head applies to finished features, per position or as local pooling, on its way to the reduction. */
const TAIL = new Set(['Transpose', 'MaxPool', 'AveragePool', 'LayerNormalization']);
/** Ops that copy their input: passed on the way to the reduction, never walked back over (the copy is the name given). */
const COPIES = new Set(['Identity', 'Dropout']);
const NORMALISATIONS = new Set(['BatchNormalization', 'LayerNormalization', 'InstanceNormalization']);
const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'Elu', 'Gelu', 'HardSwish', 'Sigmoid', 'Tanh', 'Clip']);

/**
 * The default among `candidates` (graph order, each reaching the class scores): the last one, or, where it
 * leads straight into the head's pooling through the head's own tail (transposes, local pooling, a
 * LayerNorm, an activation right after a normalisation), the tensor that tail starts from. So VGG's target
 * is the last ReLU before its final MaxPool, Swin's the last block's channels-last output rather than the
 * head's normalised, transposed copy, and DenseNet's the norm5 output rather than the head's ReLU of it; as
 * pytorch-grad-cam's recipes choose (model.features[-1], the last block).
 */
export function defaultLayer(candidates: GridLayer[], nodes: NodeProto[], logits: string): GridLayer | undefined {
  const last = candidates.at(-1);
  if (!last) return undefined;
  const byName = new Map(candidates.map((candidate) => [candidate.name, candidate]));
  const producers = new Map(nodes.flatMap((node) => node.output.map((name) => [name, node] as const)));
  const consumers = new Map<string, NodeProto[]>();
  for (const node of nodes) {
    if (node.opType === 'Shape') continue;
    for (const input of new Set(node.input)) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  if (!leadsToReduction(last.name, consumers, logits)) return last;
  let choice = last;
  for (;;) {
    const producer = producers.get(choice.name);
    if (!producer || !isTail(producer, producers)) return choice;
    const input = byName.get(producer.input[0]);
    if (!input) return choice;
    choice = input;
  }
}

function isTail(node: NodeProto, producers: Map<string, NodeProto>): boolean {
  if (TAIL.has(node.opType)) return true;
  return ACTIVATIONS.has(node.opType) && NORMALISATIONS.has(producers.get(node.input[0])?.opType ?? '');
}

/** Whether `name` goes into a reduction through tail ops only, each its sole consumer. */
function leadsToReduction(name: string, consumers: Map<string, NodeProto[]>, logits: string): boolean {
  for (let tensor = name; tensor !== logits; ) {
    const next = consumers.get(tensor) ?? [];
    if (next.length !== 1 || next[0].input[0] !== tensor) return false;
    if (REDUCTIONS.has(next[0].opType)) return true;
    if (!TAIL.has(next[0].opType) && !ACTIVATIONS.has(next[0].opType) && !COPIES.has(next[0].opType)) return false;
    tensor = next[0].output[0];
  }
  return false;
}
