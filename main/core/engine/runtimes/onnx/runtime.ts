// The ONNX Runtime runtime: ONNX Runtime computes the forward pass (logits and the target layer's
// activations) and TF.js differentiates only the head. Two ways in: a TF.js layers model converted to
// ONNX (cached; the head is the layers model's own), or a folder with model.onnx.
import * as tf from '@tensorflow/tfjs-core';
import type { CamRequest, ImageExplanation } from '../../cam/pipeline';
import { resolveLabels, type LoadedModel } from '../../model';
import type { OnnxModelFolder } from '../../model-folder';
import { tryLayersModel, type OnnxExplainer, type OnnxPathOptions } from './explainer';
import { loadOnnxModelBytes } from './onnx-model';
import type { PixelBatch } from '../../preprocess';
import { runtimeModelOf, type ExplainRuntime, type RuntimeModel, type RuntimeReport } from '../../runtime';

export class OnnxRuntime implements ExplainRuntime {
  readonly report: RuntimeReport;

  /** Takes ownership of `explainer`; `release` frees what the runtime holds besides it (the TF.js model). */
  private constructor(
    private readonly explainer: OnnxExplainer,
    readonly model: RuntimeModel,
    private readonly release: () => void = () => undefined,
  ) {
    const { name, skipped } = explainer.provider;
    this.report = { name: 'onnxruntime', provider: name, skippedProviders: skipped.map((skip) => ({ ...skip })) };
  }

  /**
   * The layers model on ONNX Runtime, or why not (a layer that does not convert, no execution provider).
   * Takes ownership of `loaded` only when it succeeds.
   */
  static async fromLayersModel(
    loaded: LoadedModel,
    layer: string | undefined,
    options: OnnxPathOptions,
  ): Promise<{ runtime: OnnxRuntime } | { runtime: null; reason: string }> {
    const attempt = await tryLayersModel(loaded, options);
    if (!attempt.explainer) return { runtime: null, reason: attempt.reason };
    const { explainer } = attempt;
    const problem = await firstRunProblem(explainer, layer, loaded.inputSize);
    if (problem) {
      await explainer.dispose();
      return { runtime: null, reason: `ONNX Runtime could not run the converted model: ${problem}` };
    }
    try {
      const model = runtimeModelOf(loaded, explainer.target(layer).layer.name);
      return { runtime: new OnnxRuntime(explainer, model, () => loaded.dispose()) };
    } catch (error) {
      await explainer.dispose();
      throw error;
    }
  }

  /** An .onnx file with its folder's settings: preprocessing `torch` unless sightline.json says otherwise. */
  static async fromFolder(folder: OnnxModelFolder, layer: string | undefined, options: OnnxPathOptions): Promise<OnnxRuntime> {
    const { settings, dir } = folder;
    const { explainer, info } = await loadOnnxModelBytes(folder.bytes, folder.file, { ...options, inputSize: settings.inputSize });
    try {
      const model: RuntimeModel = {
        name: folder.name,
        hash: folder.hash,
        inputSize: info.inputSize,
        preprocessing: settings.preprocessing ?? info.preprocessing,
        resizeMode: settings.resize ?? 'stretch',
        labels: resolveLabels(folder.labels, info.classCount, dir),
        candidateLayers: info.candidateLayers,
        defaultLayer: explainer.target(layer).layer.name,
      };
      return new OnnxRuntime(explainer, model);
    } catch (error) {
      await explainer.dispose();
      throw error;
    }
  }

  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return this.explainer.explainTensor(x, { ...request, layer: request.layer ?? this.model.defaultLayer });
  }

  explainPixels(batch: PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return this.explainer.explainTensor(batch, { ...request, layer: request.layer ?? this.model.defaultLayer });
  }

  async dispose(): Promise<void> {
    try {
      await this.explainer.dispose();
    } finally {
      this.release();
    }
  }
}

/**
 * One black image through the session that gradient methods use at the default layer, so that a conversion
 * ONNX Runtime cannot run (e.g. a damaged cache file) shows at start, where the engine can still fall back.
 * Null when it ran; an unknown layer is not a problem of the runtime and throws.
 */
async function firstRunProblem(explainer: OnnxExplainer, layer: string | undefined, inputSize: number): Promise<string | null> {
  const target = explainer.target(layer);
  const x = tf.zeros([1, inputSize, inputSize, 3]) as tf.Tensor4D;
  try {
    const { logits, kept } = await explainer.network.run(x, [target.tensor, ...target.constants]);
    logits.dispose();
    kept.forEach((tensor) => tensor.dispose());
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    x.dispose();
  }
}
