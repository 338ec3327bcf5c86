// `npm run bench`: every benchmark in one run, printing figures and ratios (never pass/fail).
// Pick parts with arguments, e.g. `npm run bench -- engine onnx` or `npm run bench -- gallery`; add
// `--against REF` to run the engine and pipeline parts side by side with an earlier commit (against.ts).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { againstOptions, benchAgainst } from './against';
import { benchEngine, formatEngineBench } from './engine';
import { benchGallery } from './gallery';
import { benchOnnx } from './onnx';
import { benchPipeline } from './pipeline';
import { benchScale } from './scale';
import { benchZoo } from './zoo';

/** Benchmarks written as scripts run in their own process (they print their own figures). */
const script = (file: string) => (): Promise<void> =>
  new Promise((resolve, reject) => {
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    spawn(tsx, [fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' }).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}`)),
    );
  });

const parts: Record<string, () => Promise<void>> = {
  engine: async () => console.log(formatEngineBench(await benchEngine())),
  onnx: async () => void (await benchOnnx({ print: true })),
  pipeline: () => benchPipeline(),
  zoo: async () => void (await benchZoo({ print: true })),
  gallery: () => benchGallery(),
  scale: () => benchScale(),
  suspicion: script('./suspicion.ts'),
  csv: script('./csv-export.ts'),
};

const args = process.argv.slice(2).filter((a) => a !== '--');
const against = againstOptions(args);
if (against) {
  await benchAgainst(against);
  process.exit(0);
}
const wanted = args;
for (const name of wanted.length ? wanted : Object.keys(parts)) {
  const run = parts[name];
  if (!run) throw new Error(`Unknown benchmark "${name}"; choose from ${Object.keys(parts).join(', ')}`);
  console.log(`\n== ${name}`);
  await run();
}
