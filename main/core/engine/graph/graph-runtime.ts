// TF.js graph models (model.json with a GraphDef, `format: graph-model`). Not supported yet.
import type { ModelFolder } from '../model-folder';
import type { ExplainRuntime } from '../runtime';

export async function loadGraphRuntime(folder: ModelFolder): Promise<ExplainRuntime> {
  throw new Error(
    `model.json in ${folder.dir} is a TF.js graph model; Sightline needs a TF.js layers model (graph models need ` +
      `@tensorflow/tfjs-converter, which Sightline does not ship). Convert the Keras model with ` +
      `tensorflowjs_converter --input_format=keras --output_format=tfjs_layers_model, or export it to ONNX`,
  );
}
