// The layer pickers list a model's candidate layers grouped by the block they belong to (a ResNet has 80-odd
// spatial tensors: a flat list of raw names is unreadable), with each layer's grid and the default marked.

/** A layer as the pickers get it: the registry's candidate layers carry their grid as [h, w, c]. */
export interface LayerChoice {
  name: string;
  shape?: readonly number[] | null;
}

export interface LayerGroup {
  block: string;
  layers: { name: string; label: string; isDefault: boolean }[];
}

/** A torch module path segment or a Keras name token that carries a number: `layer4`, `features.12`, `block5`. */
const NUMBERED = /\d/;
const WORD_WITH_NUMBER = /^[a-z]+\d+[a-z]?$/i;
const DIGITS = /^\d+$/;

/**
 * The block a layer belongs to, from its name alone.
 * - ONNX exports of torch modules (`/layer4/layer4.0/relu_1/Relu_output_0`): the first module in the path that is
 *   numbered (`layer4`; `/features/features.12/…` → `features.12`), else the first module.
 * - Keras and TF names: a numbered stage token (`conv_pw_13_relu` → `stage 13`), else a leading numbered word
 *   (`block5_conv3` → `block5`, `conv5_block3_out` → `conv5`), else the first word (`top_activation` → `top`).
 */
export function blockOf(name: string): string {
  if (name.startsWith('/')) {
    const modules = name.split('/').filter(Boolean).slice(0, -1);
    if (modules.length > 0) return modules.find((segment) => NUMBERED.test(segment)) ?? modules[0];
  }
  const tokens = name.split(/[_/.:\s-]+/).filter(Boolean);
  const stage = tokens.find((token) => DIGITS.test(token));
  if (stage !== undefined) return `stage ${Number(stage)}`;
  return tokens.find((token) => WORD_WITH_NUMBER.test(token)) ?? tokens[0] ?? name;
}

/** `7×7×512`, or '' when the grid is not known. */
export function shapeLabel(shape: readonly number[] | null | undefined): string {
  return shape && shape.length > 0 ? shape.join('×') : '';
}

/**
 * The layers in their network order, grouped by block (a block that comes back later in the list starts a new group,
 * so the order never changes); `defaultLayer` is marked in its label.
 */
export function groupLayers(layers: readonly LayerChoice[], defaultLayer: string | null): LayerGroup[] {
  const groups: LayerGroup[] = [];
  for (const layer of layers) {
    const block = blockOf(layer.name);
    const isDefault = layer.name === defaultLayer;
    const shape = shapeLabel(layer.shape);
    const label = `${layer.name}${shape ? ` · ${shape}` : ''}${isDefault ? ' · default' : ''}`;
    const last = groups.at(-1);
    if (last?.block === block) last.layers.push({ name: layer.name, label, isDefault });
    else groups.push({ block, layers: [{ name: layer.name, label, isDefault }] });
  }
  return groups;
}
