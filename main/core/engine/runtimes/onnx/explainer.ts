// The ONNX fast path's entry point: a network on ONNX Runtime plus a way to find a CAM target in it.
// For a TF.js layers model, tryLayersModel() converts it (cached) and falls back with a reason when a
// layer does not convert; for an ONNX file, see onnx-model.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { CamTarget } from '../../cam/network';
import { explainBatch, type CamRequest, type ImageExplanation } from '../../cam/pipeline';
import { checkBatch } from '../../cam/predictions';
import type { LoadedModel } from '../../model';
import type { PixelBatch } from '../../preprocess';
import { convertCached, defaultOnnxCacheDir } from './cache';
import { UnsupportedLayerError } from './convert';
import { layersModelTarget } from './layers-target';
import { OnnxNetwork } from './network';
import { selectProvider, type ProviderName, type ProviderReport } from './providers';

export interface OnnxPathOptions {
  /** Where converted models are kept; default `<data dir>/onnx-cache`. */
  cacheDir?: string;
  /** Force one execution provider; default: the first that works in PROVIDER_CHAIN. */
  provider?: ProviderName;
  /** ONNX Runtime threads per run; default 1 (one engine worker per core). */
  threads?: number;
}

export class OnnxExplainer {
  private readonly targets = new Map<string, CamTarget<string>>();

  constructor(
    readonly provider: ProviderReport,
    readonly network: OnnxNetwork,
    private readonly findTarget: (layer: string | undefined) => CamTarget<string>,
  ) {}

  /** The target for a layer name (default: the model's default layer); throws when there is none. */
  target(layer?: string): CamTarget<string> {
    const key = layer ?? '';
    let target = this.targets.get(key);
    if (!target) {
      target = this.findTarget(layer);
      this.targets.set(key, target);
      // The default layer asked for by name later is the same target.
      this.targets.set(target.layer.name, target);
    }
    return target;
  }

  /**
   * The CAM pipeline on a preprocessed NHWC batch, or on the scan stage's pixels. A network with a fixed batch
   * size gets batches of exactly that size, the last one padded with zeros whose results are dropped.
   */
  async explainTensor(x: tf.Tensor4D | PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    const target = this.target(request.layer);
    const batch = this.network.fixedBatch;
    const count = x instanceof tf.Tensor ? x.shape[0] : x.count;
    if (batch === null || count === batch) return explainBatch(this.network, target, x, request);
    checkBatch(count, request);
    const results: ImageExplanation[] = [];
    for (let first = 0; first < count; first += batch) {
      const size = Math.min(batch, count - first);
      const part = imagesOf(x, first, size, batch);
      // Padding images ask for the first image's classes.
      const classes = request.classes?.slice(first, first + size);
      while (classes && classes.length < batch) classes.push(classes[0]);
      try {
        results.push(...(await explainBatch(this.network, target, part, { ...request, classes })).slice(0, size));
      } finally {
        if (part instanceof tf.Tensor && part !== x) part.dispose();
      }
    }
    return results;
  }

  dispose(): Promise<void> {
    return this.network.dispose();
  }
}

/** Images first … first + count − 1 of `x`, followed by zeros up to `batch` images. */
function imagesOf(x: tf.Tensor4D | PixelBatch, first: number, count: number, batch: number): tf.Tensor4D | PixelBatch {
  if (x instanceof tf.Tensor) {
    const [, h, w, c] = x.shape;
    return tf.tidy(() => {
      const part = tf.slice(x, [first, 0, 0, 0], [count, h, w, c]);
      return count === batch ? part : tf.concat([part, tf.zeros([batch - count, h, w, c])]);
    }) as tf.Tensor4D;
  }
  const perImage = x.size * x.size * 3;
  const pixels = new Uint8Array(batch * perImage);
  pixels.set(x.pixels.subarray(first * perImage, (first + count) * perImage));
  return { ...x, pixels, count: batch };
}

export type OnnxAttempt = { explainer: OnnxExplainer; cached: boolean } | { explainer: null; reason: string };

/**
 * The loaded TF.js model on ONNX Runtime, or why not (a layer that does not convert, no provider):
 * the caller then stays on the TF.js path. Errors in the model itself still throw.
 */
export async function tryLayersModel(model: LoadedModel, options: OnnxPathOptions = {}): Promise<OnnxAttempt> {
  let converted: ReturnType<typeof convertCached>;
  try {
    converted = convertCached(model, options.cacheDir ?? defaultOnnxCacheDir());
  } catch (error) {
    if (error instanceof UnsupportedLayerError) return { explainer: null, reason: `the model does not convert to ONNX: ${error.message}` };
    throw error;
  }
  let provider: ProviderReport;
  try {
    provider = await selectProvider(options.provider);
  } catch (error) {
    return { explainer: null, reason: (error as Error).message };
  }
  const network = OnnxNetwork.fromBytes(converted.bytes, { provider: provider.name, threads: options.threads });
  const explainer = new OnnxExplainer(provider, network, (layer) => layersModelTarget(model, layer));
  return { explainer, cached: converted.fromCache };
}
