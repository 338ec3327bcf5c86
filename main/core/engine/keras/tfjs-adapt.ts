// What Keras writes that TF.js layers would refuse or, worse, build into something that computes otherwise, rewritten
// into layers TF.js has, with the same arithmetic. Found on files Keras 3 itself wrote (keras.applications models):
// - activations Keras 3 names differently or TF.js lacks: `silu` (= swish), `hard_silu` / `hard_swish`, `leaky_relu`,
//   and Keras 3's `hard_sigmoid`, which is relu6(x + 3) / 6 where Keras 2's (and TF.js's) is 0.2·x + 0.5;
// - GlobalAveragePooling2D / GlobalMaxPooling2D with keepdims (MobileNet, MobileNetV3): TF.js ignores the option;
//   they become layers of Sightline's that keep the 1 × 1 (tfjs-extensions.ts);
// - Normalization (EfficientNet, EfficientNetV2): a BatchNormalization with the mean and variance as its moving
//   statistics (Keras divides by max(√variance, 1e-7); the epsilon 1e-14 gives the same √(variance + ε));
// - BatchNormalization without scale or centre (InceptionV3): TF.js's gradient of such a layer fails, so it gets a
//   scale of ones and an offset of zeros;
// - DepthwiseConv2D's kernel, named `kernel` in Keras 3's .h5 files, is TF.js's `depthwise_kernel`;
// - a Conv2D with groups and one input channel per group (ConvNeXt's 7 × 7) is a DepthwiseConv2D, which TF.js has;
// - ConvNeXt's LayerScale (x · γ per channel) is a layer of Sightline's (tfjs-extensions.ts).
// The weights step runs on the weights read for the config before it was adapted (the readers name them by it).
import { configLayers, layerName, type KerasConfig, type KerasLayerConfig, type KerasWeight } from './keras-model';
import { HARD_SILU, KEEPDIMS_POOLINGS, KERAS3_HARD_SIGMOID, LEAKY_RELU } from './tfjs-extensions';

export interface AdaptedModel {
  modelConfig: KerasConfig;
  /** The weights read for the saved config → those of the adapted one. */
  adaptWeights(weights: KerasWeight[]): KerasWeight[];
}

/** Keras's epsilon is 1e-7 on the standard deviation; a BatchNormalization's is on the variance. */
const NORMALIZATION_EPSILON = 1e-14;


/** `keras3`: the config was saved by Keras 3 (its hard_sigmoid differs from Keras 2's). */
export function adaptForTfjs(modelConfig: KerasConfig, what: string, { keras3 }: { keras3: boolean }): AdaptedModel {
  const normalizations = new Map<string, { mean: number[] | null; variance: number[] | null }>();
  const completedNorms = new Set<string>();
  const depthwise = new Set<string>();
  /** Grouped convolutions with one input channel per group, now depthwise: name → groups. */
  const groupedAsDepthwise = new Map<string, number>();
  const layerScales = new Set<string>();
  const layers = configLayers(modelConfig).flatMap((layer): KerasLayerConfig[] => {
    const name = layerName(layer);
    const config = { ...layer.config };
    if (typeof config.activation === 'string') config.activation = activationFor(config.activation, keras3);
    if (layer.class_name === 'DepthwiseConv2D') depthwise.add(name);
    if (layer.class_name === 'LayerScale') layerScales.add(name);
    const groups = Number(config.groups ?? 1);
    const filters = Number(config.filters);
    if (layer.class_name === 'Conv2D' && groups > 1 && filters % groups === 0) {
      groupedAsDepthwise.set(name, groups);
      const { filters: _filters, groups: _groups, ...rest } = config;
      return [{ ...layer, class_name: 'DepthwiseConv2D', config: { ...rest, depth_multiplier: filters / groups } }];
    }
    if (layer.class_name === 'Normalization') {
      normalizations.set(name, normalizationStatistics(layer, name, what));
      return [{ ...layer, class_name: 'BatchNormalization', config: batchNormalizationFor(config, name, what) }];
    }
    if (layer.class_name === 'BatchNormalization' && (config.scale === false || config.center === false)) {
      completedNorms.add(name);
      return [{ ...layer, config: { ...config, scale: true, center: true } }];
    }
    if (config.keepdims === true && layer.class_name in KEEPDIMS_POOLINGS) return [poolingKeepingDims(layer, config, name, what)];
    return [{ ...layer, config }];
  });
  const adapted: KerasConfig = { class_name: modelConfig.class_name, config: { ...modelConfig.config, layers } };
  return {
    modelConfig: adapted,
    adaptWeights: (weights) => {
      const byName = new Map(weights.map((weight) => [weight.name, weight]));
      const out = weights.flatMap((weight): KerasWeight[] => {
        const [layer, variable] = splitName(weight.name);
        if (normalizations.has(layer)) return [];
        if (depthwise.has(layer) && variable === 'kernel') return [{ ...weight, name: `${layer}/depthwise_kernel` }];
        if (groupedAsDepthwise.has(layer) && variable === 'kernel') return [asDepthwiseKernel(weight, layer, groupedAsDepthwise.get(layer)!, what)];
        // Keras names its one variable variable, variable_1, …: it is γ.
        if (layerScales.has(layer)) return [{ ...weight, name: `${layer}/gamma` }];
        return [weight];
      });
      for (const [layer, statistics] of normalizations) out.push(...normalizationWeights(layer, statistics, byName, what));
      for (const layer of completedNorms) {
        const mean = byName.get(`${layer}/moving_mean`);
        if (!mean) throw new Error(`${what}: layer ${layer} (BatchNormalization) has no moving_mean weight`);
        const channels = mean.values.length;
        if (!byName.has(`${layer}/gamma`)) out.push({ name: `${layer}/gamma`, shape: [channels], values: new Float32Array(channels).fill(1) });
        if (!byName.has(`${layer}/beta`)) out.push({ name: `${layer}/beta`, shape: [channels], values: new Float32Array(channels) });
      }
      return out;
    },
  };
}

/**
 * A grouped convolution's kernel [h, w, 1, groups · m] as a depthwise one [h, w, groups, m]: the same values in the
 * same order (output channel g · m + k is group g's k-th in both).
 */
function asDepthwiseKernel(weight: KerasWeight, layer: string, groups: number, what: string): KerasWeight {
  const [h, w, perGroup, filters] = weight.shape;
  if (weight.shape.length !== 4 || perGroup !== 1) {
    throw new Error(
      `${what}: layer ${layer} (Conv2D) is a grouped convolution (groups=${groups}) with ${perGroup} input channels per group; ` +
        `Sightline converts the depthwise case only (one input channel per group)`,
    );
  }
  return { name: `${layer}/depthwise_kernel`, shape: [h, w, groups, filters / groups], values: weight.values };
}

function activationFor(name: string, keras3: boolean): string {
  switch (name) {
    case 'silu':
      return 'swish';
    case 'hard_silu':
    case 'hard_swish':
      return HARD_SILU;
    case 'leaky_relu':
      return LEAKY_RELU;
    case 'hard_sigmoid':
      return keras3 ? KERAS3_HARD_SIGMOID : name;
    default:
      return name;
  }
}

function poolingKeepingDims(layer: KerasLayerConfig, config: Record<string, unknown>, name: string, what: string): KerasLayerConfig {
  if (config.data_format === 'channels_first') {
    throw new Error(`${what}: layer ${name} (${layer.class_name}) keeps its dimensions on channels-first data, which Sightline does not convert`);
  }
  const className = KEEPDIMS_POOLINGS[layer.class_name as keyof typeof KEEPDIMS_POOLINGS];
  return { ...layer, class_name: className, config: { name, trainable: false, dtype: 'float32' } };
}

function batchNormalizationFor(config: Record<string, unknown>, name: string, what: string): Record<string, unknown> {
  const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
  if (axis !== -1 && axis !== 3 && axis !== undefined) {
    throw new Error(`${what}: layer ${name} (Normalization) normalises over axis ${JSON.stringify(config.axis)}; Sightline converts the channel axis only`);
  }
  if (config.invert === true) throw new Error(`${what}: layer ${name} (Normalization) inverts the normalisation, which Sightline does not convert`);
  return { name, trainable: false, dtype: 'float32', axis: -1, momentum: 0.99, epsilon: NORMALIZATION_EPSILON, center: true, scale: true };
}

function normalizationStatistics(layer: KerasLayerConfig, name: string, what: string) {
  const list = (value: unknown, key: string): number[] | null => {
    if (value === null || value === undefined) return null;
    const values = Array.isArray(value) ? value.flat(4) : null;
    if (!values || values.length === 0 || !values.every((v) => typeof v === 'number')) {
      throw new Error(`${what}: layer ${name} (Normalization) gives its ${key} as ${JSON.stringify(value)}; Sightline converts one value per channel`);
    }
    return values as number[];
  };
  return { mean: list(layer.config.mean, 'mean'), variance: list(layer.config.variance, 'variance') };
}

/** The BatchNormalization's weights: the statistics from the config, or from the adapted layer's own variables. */
function normalizationWeights(
  layer: string,
  statistics: { mean: number[] | null; variance: number[] | null },
  byName: Map<string, KerasWeight>,
  what: string,
): KerasWeight[] {
  const stored = (variable: string) => {
    const weight = byName.get(`${layer}/${variable}`);
    if (!weight) throw new Error(`${what}: layer ${layer} (Normalization) has neither a ${variable} in its config nor a stored ${variable}`);
    return Array.from(weight.values);
  };
  const mean = statistics.mean ?? stored('mean');
  const variance = statistics.variance ?? stored('variance');
  if (mean.length !== variance.length) {
    throw new Error(`${what}: layer ${layer} (Normalization) has ${mean.length} means but ${variance.length} variances`);
  }
  const channels = mean.length;
  const vector = (name: string, values: ArrayLike<number>) => ({ name: `${layer}/${name}`, shape: [channels], values: Float32Array.from(values) });
  return [
    vector('gamma', new Float32Array(channels).fill(1)),
    vector('beta', new Float32Array(channels)),
    vector('moving_mean', mean),
    vector('moving_variance', variance),
  ];
}

function splitName(weightName: string): [string, string] {
  const slash = weightName.lastIndexOf('/');
  return [weightName.slice(0, slash), weightName.slice(slash + 1)];
}
