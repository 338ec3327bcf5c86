// `npm run bench`: every benchmark in one run, printing figures and ratios (never pass/fail).
// Pick parts with arguments, e.g. `npm run bench -- engine onnx` or `npm run bench -- gallery`.
import { benchEngine, formatEngineBench } from './engine';
import { benchGallery } from './gallery';
import { benchOnnx } from './onnx';
import { benchPipeline } from './pipeline';

const parts: Record<string, () => Promise<void>> = {
  engine: async () => console.log(formatEngineBench(await benchEngine())),
  onnx: async () => void (await benchOnnx({ print: true })),
  pipeline: () => benchPipeline(),
  gallery: () => benchGallery(),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
for (const name of wanted.length ? wanted : Object.keys(parts)) {
  const run = parts[name];
  if (!run) throw new Error(`Unknown benchmark "${name}"; choose from ${Object.keys(parts).join(', ')}`);
  console.log(`\n== ${name}`);
  await run();
}
