// `npm run bench`: every benchmark in one run, printing figures and ratios (never pass/fail).
// Pick parts with arguments: `npm run bench -- engine` or `npm run bench -- pipeline`.
import { benchEngine, formatEngineBench } from './engine';
import { benchPipeline } from './pipeline';

const parts: Record<string, () => Promise<void>> = {
  engine: async () => console.log(formatEngineBench(await benchEngine())),
  pipeline: () => benchPipeline(),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
for (const name of wanted.length ? wanted : Object.keys(parts)) {
  const run = parts[name];
  if (!run) throw new Error(`Unknown benchmark "${name}"; choose from ${Object.keys(parts).join(', ')}`);
  console.log(`\n== ${name}`);
  await run();
}
