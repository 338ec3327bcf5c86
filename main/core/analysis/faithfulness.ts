// Faithfulness of a map: does the class probability react when the attended pixels change?
// Deletion/insertion curves follow Petsiuk et al., "RISE", BMVC 2018 (sec. 4.1): remove (or insert) the
// most attended pixels in steps and record the class probability; the area under the curve summarises it.
// The blur test replaces the top 20 % of attention with a blurred copy and records the relative drop.
import { upsampleBilinear } from '../../../common/upsample';
import type { Engine } from '../engine/types';
import type { MapGrid } from './metrics';

export interface Faithfulness {
  /** Probability of the class on the unmodified image. */
  baseProb: number;
  /** Area under the deletion curve (lower = more faithful). */
  deletionAuc: number;
  /** Area under the insertion curve (higher = more faithful). */
  insertionAuc: number;
  /** Relative probability drop when the top 20 % of attention is blurred: (p0 − p) / p0, clamped to [0, 1]. */
  blurDrop: number;
}

export interface FaithfulnessItem {
  /** RGB uint8, size × size × 3 (the model input the scan stage made). */
  pixels: Uint8Array;
  map: MapGrid;
  classIndex: number;
}

export const DELETION_STEPS = 8;
export const BLUR_TOP_FRACTION = 0.2;
const GREY = 128;
const BLUR_RADIUS = 12;

/** A size × size grid of the map, upsampled as the gallery and the report draw it. */
export function upsample(map: MapGrid, size: number): Float32Array {
  return upsampleBilinear(map, size, size);
}

/** Pixel indices from most to least attended (ties keep image order, so results are reproducible). */
export function attentionOrder(map: MapGrid, size: number): Uint32Array {
  const up = upsample(map, size);
  const order = Uint32Array.from({ length: size * size }, (_, i) => i);
  return order.sort((a, b) => up[b] - up[a] || a - b);
}

/** Separable box blur applied twice (close to a Gaussian), edges clamped. */
export function blur(pixels: Uint8Array, size: number, radius = BLUR_RADIUS): Uint8Array {
  let src: Float32Array = Float32Array.from(pixels);
  const pass = (input: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(input.length);
    for (let a = 0; a < size; a++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        const at = (b: number) => {
          const k = Math.min(Math.max(b, 0), size - 1);
          return input[((horizontal ? a * size + k : k * size + a) * 3) + c];
        };
        for (let b = -radius; b <= radius; b++) sum += at(b);
        for (let b = 0; b < size; b++) {
          out[((horizontal ? a * size + b : b * size + a) * 3) + c] = sum / (2 * radius + 1);
          sum += at(b + radius + 1) - at(b - radius);
        }
      }
    }
    return out;
  };
  for (let i = 0; i < 2; i++) src = pass(pass(src, true), false);
  return Uint8Array.from(src, (v) => Math.round(v));
}

/** Copies `from` into `into` at the first `count` pixels of `order`. */
function paint(into: Uint8Array, from: Uint8Array, order: Uint32Array, count: number): Uint8Array {
  for (let i = 0; i < count; i++) {
    const p = order[i] * 3;
    into[p] = from[p];
    into[p + 1] = from[p + 1];
    into[p + 2] = from[p + 2];
  }
  return into;
}

/** The images one item needs, in order: base, deletion steps 1..S, insertion steps 0..S, blurred top 20 %. */
function variants(item: FaithfulnessItem, size: number): Uint8Array[] {
  const order = attentionOrder(item.map, size);
  const n = size * size;
  // A plain copy: the scan stage hands over a Buffer, whose slice() is a view, and painting would change the original.
  const pixels = Uint8Array.from(item.pixels);
  const grey = new Uint8Array(pixels.length).fill(GREY);
  const blurred = blur(pixels, size);
  const images: Uint8Array[] = [pixels];
  for (let s = 1; s <= DELETION_STEPS; s++) images.push(paint(pixels.slice(), grey, order, Math.round((s / DELETION_STEPS) * n)));
  for (let s = 0; s <= DELETION_STEPS; s++) images.push(paint(blurred.slice(), pixels, order, Math.round((s / DELETION_STEPS) * n)));
  images.push(paint(pixels.slice(), blurred, order, Math.round(BLUR_TOP_FRACTION * n)));
  return images;
}

/** Trapezoidal area under probabilities sampled at 0, 1/S, …, 1. */
function auc(probs: number[]): number {
  let area = 0;
  for (let i = 1; i < probs.length; i++) area += (probs[i - 1] + probs[i]) / 2;
  return area / (probs.length - 1);
}

const PER_ITEM = 2 * DELETION_STEPS + 3;

/** Faithfulness of many maps at once: the modified images of all items go through the engine in shared mini-batches. */
export async function measureFaithfulness(
  engine: Pick<Engine, 'explain' | 'model'>,
  items: FaithfulnessItem[],
  batchSize = 16,
): Promise<Faithfulness[]> {
  const size = engine.model.inputSize;
  const classes = engine.model.labels.length;
  const images = items.flatMap((item) => variants(item, size));
  const flat: number[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const pixels = new Uint8Array(chunk.length * size * size * 3);
    chunk.forEach((img, i) => pixels.set(img, i * img.length));
    const results = await engine.explain({ pixels, count: chunk.length, topK: classes, camTopK: 0 });
    results.forEach((r, i) => {
      const item = items[Math.floor((start + i) / PER_ITEM)];
      flat.push(r.top.find((t) => t.index === item.classIndex)?.prob ?? 0);
    });
  }
  const probs = items.map((_, i) => flat.slice(i * PER_ITEM, (i + 1) * PER_ITEM));
  return probs.map((p) => {
    const base = p[0];
    const deletion = p.slice(0, DELETION_STEPS + 1);
    const insertion = p.slice(DELETION_STEPS + 1, 2 * DELETION_STEPS + 2);
    const blurredTop = p[PER_ITEM - 1];
    return {
      baseProb: base,
      deletionAuc: auc(deletion),
      insertionAuc: auc(insertion),
      blurDrop: base > 0 ? Math.min(1, Math.max(0, (base - blurredTop) / base)) : 0,
    };
  });
}
