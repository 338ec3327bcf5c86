// `npm run bench -- engine pipeline --against REF [--rounds N]`: the same benchmarks on this tree and on an
// earlier commit, side by side in one run. REF is checked out in a temporary git worktree (sharing this
// tree's node_modules), and each round runs both trees one after the other, alternating which goes first
// (A B, then B A, …), so that a drift of the machine's speed during the run weighs on both alike. Prints every
// sample, the means and the change; never pass/fail.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One figure read from a benchmark's output; `better` says which way is an improvement. */
interface Figure {
  label: string;
  value: number;
  better: 'higher' | 'lower';
}

interface Part {
  /** The script and its arguments, run in `tree`; `self` is this tree's root. */
  args(tree: string, self: string): string[];
  read(output: string): Figure[];
}

export const AGAINST_PARTS: Record<string, Part> = {
  // This tree's script measures both engines (engine-side.ts), so the measuring is the same on both sides.
  engine: {
    args: (tree, self) => [path.join(self, 'bench/engine-side.ts'), tree],
    read: (output) =>
      [...output.matchAll(/^ {2}(\S.*?) {2,}(\S.*?) +([\d.]+) img\/s +([\d.]+) CPU ms\/img$/gm)].flatMap(([, model, reported, rate, cpu]) => {
        const grid = / maps (\S+)$/.exec(reported)?.[1];
        const label = `${model}, ${reported.startsWith('onnxruntime') ? 'ONNX Runtime' : 'TF.js'}: Grad-CAM top-3${grid ? ` ${grid}` : ''}`;
        return [
          { label: `${label} img/s`, value: Number(rate), better: 'higher' as const },
          { label: `${label} CPU ms/img`, value: Number(cpu), better: 'lower' as const },
        ];
      }),
  },
  // Each tree's own pipeline benchmark (its procedure is the same in both; only imports moved).
  pipeline: {
    args: () => ['bench/pipeline.ts'],
    read: (output) => {
      const figures: Figure[] = [];
      const pipeline = /^pipeline .*?: ([\d.]+) img\/s/m.exec(output);
      if (pipeline) figures.push({ label: 'import pipeline img/s', value: Number(pipeline[1]), better: 'higher' });
      const engine = /^engine +([\d.]+) img\/s/m.exec(output);
      if (engine) figures.push({ label: 'engine alone img/s', value: Number(engine[1]), better: 'higher' });
      const cpu = /^cpu +per image: engine ([\d.]+) ms, decode ([\d.]+) ms .*?whole pipeline ([\d.]+) ms/m.exec(output);
      if (cpu) {
        figures.push({ label: 'engine CPU ms per image', value: Number(cpu[1]), better: 'lower' });
        figures.push({ label: 'decode CPU ms per image', value: Number(cpu[2]), better: 'lower' });
        figures.push({ label: 'pipeline CPU ms per image', value: Number(cpu[3]), better: 'lower' });
      }
      return figures;
    },
  },
};

/** Parses `--against REF` and `--rounds N` out of the arguments; null without --against. */
export function againstOptions(args: string[]): { ref: string; rounds: number; parts: string[] } | null {
  const at = args.indexOf('--against');
  if (at < 0) return null;
  const ref = args[at + 1];
  if (!ref || ref.startsWith('--')) throw new Error('--against needs a commit, e.g. --against 92f5a76');
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt < 0 ? 2 : Number(args[roundsAt + 1]);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a whole number of rounds, 1 or more');
  const skip = new Set([at, at + 1, ...(roundsAt < 0 ? [] : [roundsAt, roundsAt + 1])]);
  const parts = args.filter((_, i) => !skip.has(i));
  for (const part of parts) {
    if (!AGAINST_PARTS[part]) throw new Error(`--against runs ${Object.keys(AGAINST_PARTS).join(', ')}; not "${part}"`);
  }
  return { ref, rounds, parts: parts.length ? parts : Object.keys(AGAINST_PARTS) };
}

function runIn(tree: string, self: string, part: Part): Promise<string> {
  const args = part.args(tree, self);
  return new Promise((resolve, reject) => {
    const tsx = path.join(self, 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, args, { cwd: tree, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${args.join(' ')} in ${tree} exited with ${code}`))));
  });
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

export async function benchAgainst({ ref, rounds, parts }: { ref: string; rounds: number; parts: string[] }): Promise<void> {
  const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
  let commit: string;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    console.error(`--against: this repository has no commit named "${ref}" (a hash, tag or branch, e.g. --against 92f5a76)`);
    process.exit(2);
  }
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const temp = mkdtempSync(path.join(tmpdir(), 'sightline-against-'));
  const before = path.join(temp, commit);
  execFileSync('git', ['worktree', 'add', '--detach', before, commit], { cwd: root, stdio: 'ignore' });
  symlinkSync(path.join(root, 'node_modules'), path.join(before, 'node_modules'));
  const trees = { before: { name: commit, dir: before }, after: { name: `${head}${dirty ? ' + changes' : ''}`, dir: root } };
  console.log(`Side by side: ${trees.before.name} (before) and ${trees.after.name} (this tree), ${rounds} round(s), order alternating`);
  console.log(`1-minute load average at the start: ${loadavg()[0].toFixed(2)}`);
  try {
    for (const name of parts) {
      const part = AGAINST_PARTS[name];
      const samples = { before: new Map<string, Figure[]>(), after: new Map<string, Figure[]>() };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
        for (const side of order) {
          const figures = part.read(await runIn(trees[side].dir, root, part));
          if (figures.length === 0) throw new Error(`${name} printed no figure in ${trees[side].name}`);
          for (const figure of figures) samples[side].set(figure.label, [...(samples[side].get(figure.label) ?? []), figure]);
          console.log(`  ${name}, round ${round + 1}, ${side}: ${figures.map((f) => `${f.label} ${f.value}`).join('; ')}`);
        }
      }
      console.log(`\n== ${name}: ${trees.before.name} → ${trees.after.name}, mean of ${rounds} sample(s) each`);
      for (const [label, figures] of samples.after) {
        const was = samples.before.get(label);
        if (!was) continue;
        const [a, b] = [mean(was.map((f) => f.value)), mean(figures.map((f) => f.value))];
        const change = ((b - a) / a) * 100;
        const gain = figures[0].better === 'higher' ? change : -change;
        const list = (fs: Figure[]) => fs.map((f) => f.value).join(', ');
        console.log(
          `  ${label.padEnd(72)} ${a.toFixed(2).padStart(8)} → ${b.toFixed(2).padStart(8)}  ${change >= 0 ? '+' : ''}${change.toFixed(1)} % ` +
            `(${gain >= 0 ? 'better' : 'worse'}; samples ${list(was)} → ${list(figures)})`,
        );
      }
    }
    console.log(`1-minute load average at the end: ${loadavg()[0].toFixed(2)}`);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', before], { cwd: root, stdio: 'ignore' });
    rmSync(temp, { recursive: true, force: true });
  }
}
