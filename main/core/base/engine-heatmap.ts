// A map as the engine computes it and the store keeps it: below both, so that neither imports the other.

export interface EngineHeatmap {
  classIndex: number;
  h: number;
  w: number;
  /** Raw map after ReLU at the layer's resolution, row-major. */
  values: Float32Array;
  /** max(values), 0 for an all-zero map. */
  scale: number;
}
