// The analysis spread over a cluster (issue 16), run here as the shipped examples run it: the Kubernetes Indexed
// Job's and the Slurm array's shard commands and their merge, read from deploy/ and started as separate processes
// of the built command. The merged library must equal a single-machine run of the samples row for row, and map
// for map bit for bit; merging again changes nothing; a missing or unfinished shard is reported.
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplesDir } from './harness';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin', 'sightline.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-shards-'));
/** The samples, with their timestamps: every run below reads these files. */
const photos = path.join(tmp, 'photos');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Result {
  code: number;
  stderr: string;
}

/** `sightline ARGS` as a separate process of the built command; resolves with its exit code. */
async function sightline(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: tmp, env: { ...process.env, ...env } });
    return { code: 0, stderr };
  } catch (err) {
    const failed = err as { code?: number; stderr?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stderr: failed.stderr ?? '' };
  }
}

async function succeeds(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { code, stderr } = await sightline(args, env);
  expect(code, `sightline ${args.join(' ')}\n${stderr}`).toBe(0);
  return stderr;
}

type Row = Record<string, unknown>;

/**
 * The library as a person sees it, keyed by relative path: every row of every table a run fills, without ids,
 * timestamps, the process that ran it and the backend string. BLOBs (maps, thumbnails) stay Buffers, compared
 * byte for byte.
 */
function canonicalDump(file: string): Record<string, Row[]> {
  const db = new Database(file, { readonly: true });
  try {
    const columns = (table: string, skip: string[]) =>
      (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[])
        .filter((c) => !skip.includes(c) && !c.endsWith('_at'))
        .map((c) => `t."${c}"`)
        .join(', ');
    const perImage = (table: string, order: string) =>
      db.prepare(`SELECT i.rel_path, ${columns(table, ['run_id', 'image_id', 'agreement_run_id', 'model_id'])} FROM ${table} t JOIN images i ON i.id = t.image_id ORDER BY i.rel_path, ${order}`).all() as Row[];
    return {
      datasets: db.prepare(`SELECT ${columns('datasets', ['id', 'root_path'])} FROM datasets t`).all() as Row[],
      models: db.prepare(`SELECT ${columns('models', ['id'])} FROM models t`).all() as Row[],
      runs: db.prepare(`SELECT ${columns('runs', ['id', 'dataset_id', 'model_id', 'backend', 'owner_pid'])} FROM runs t`).all() as Row[],
      images: db
        .prepare(
          `SELECT ${columns('images', ['id', 'dataset_id'])},
             (SELECT j.rel_path FROM images j WHERE j.dataset_id = t.dataset_id AND j.content_hash = t.content_hash ORDER BY j.id LIMIT 1) AS first_with_bytes
           FROM images t ORDER BY t.rel_path`,
        )
        .all() as Row[],
      predictions: perImage('predictions', 't.rank'),
      heatmaps: perImage('heatmaps', 't.class_index'),
      metrics: perImage('metrics', 't.class_index'),
      thumbnails: perImage('thumbnails', 't.image_id'),
      reviews: perImage('reviews', 't.image_id'),
      image_truth: perImage('image_truth', 't.true_index'),
    };
  } finally {
    db.close();
  }
}

/** Every row of every table, ids and timestamps included: what "merging again changes nothing" compares. */
function fullDump(file: string): Record<string, Row[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    // The file-name search index (an FTS5 table) has one column; its shadow tables have two or three.
    const orderOf = (table: string) => ((db.pragma(`table_info("${table}")`) as unknown[]).length > 1 ? '1, 2' : '1');
    return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}" ORDER BY ${orderOf(table)}`).all() as Row[]]));
  } finally {
    db.close();
  }
}

function expectSameLibrary(actual: string, expected: string): void {
  const want = canonicalDump(expected);
  const got = canonicalDump(actual);
  expect(want.images).toHaveLength(34);
  expect(want.heatmaps.length).toBeGreaterThanOrEqual(34);
  expect(want.image_truth).toHaveLength(34);
  for (const table of Object.keys(want)) expect(got[table], table).toEqual(want[table]);
}

/** The path a cluster path (under `from`) has in this test's folder: the photos, or a folder of its own under tmp. */
function localPath(clusterPath: string, from: string, to: string): string {
  if (clusterPath === path.posix.join(from, 'photos')) return photos;
  if (!clusterPath.startsWith(`${from}/`)) throw new Error(`${clusterPath} is not under ${from}`);
  return path.join(to, clusterPath.slice(from.length + 1));
}

const single = path.join(tmp, 'single.db');

beforeAll(async () => {
  expect(existsSync(path.join(root, 'out', 'main', 'cli.js')), 'run `npm run build` first').toBe(true);
  cpSync(samplesDir, photos, { recursive: true, preserveTimestamps: true });
  await succeeds(['analyze', photos, '--library', single, '--out', path.join(tmp, 'single.csv'), '--data-dir', path.join(tmp, 'single-data')]);
});

describe('Kubernetes Indexed Job', () => {
  const manifests = path.join(root, 'deploy', 'kubernetes');
  const here = path.join(tmp, 'k8s');
  type Container = { command: string[]; args: string[]; env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]; volumeMounts: { name: string; mountPath: string }[] };
  type Job = { kind: string; metadata: { name: string }; spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[]; volumes: Row[] } } } };
  const documents = (file: string) => loadAll(readFileSync(path.join(manifests, file), 'utf8')) as Job[];
  const analyzeJob = () => documents('sightline-indexed-job.yaml').find((d) => d.kind === 'Job')!;
  const mergeJob = () => documents('sightline-merge-job.yaml').find((d) => d.kind === 'Job')!;
  /** The container's command line with the pod's index, and its paths moved under this test's folder. */
  const commandLine = (container: Container, index: number | null) =>
    [...container.command.slice(1), ...container.args].map((arg) => {
      const expanded = index === null ? arg : arg.replaceAll('$(JOB_COMPLETION_INDEX)', String(index));
      expect(expanded).not.toMatch(/\$\(/);
      return expanded === '/data' || expanded.startsWith('/data/') ? localPath(expanded, '/data', here) : expanded;
    });

  it('is an Indexed Job of 3 pods whose shard is JOB_COMPLETION_INDEX of 3, sharing one volume', () => {
    const job = analyzeJob();
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const [container] = job.spec.template.spec.containers;
    expect(container.command).toEqual(['sightline']);
    expect(container.args.slice(0, 2)).toEqual(['analyze', '/data/photos']);
    expect(container.args[container.args.indexOf('--shard') + 1]).toBe(`$(JOB_COMPLETION_INDEX)/${job.spec.completions}`);
    expect(container.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    const data = container.volumeMounts.find((m) => m.mountPath === '/data')!;
    expect(job.spec.template.spec.volumes.find((v) => v.name === data.name)).toMatchObject({ persistentVolumeClaim: { claimName: 'sightline-data' } });
    const claim = documents('sightline-indexed-job.yaml').find((d) => d.kind === 'PersistentVolumeClaim') as unknown as { spec: { accessModes: string[] } };
    expect(claim.spec.accessModes).toContain('ReadWriteMany');
    // The merge job reads every shard the analysis writes.
    const merge = mergeJob().spec.template.spec.containers[0];
    expect(merge.command).toEqual(['sightline']);
    const shards = Array.from({ length: 3 }, (_, i) => container.args[container.args.indexOf('--library') + 1].replace('$(JOB_COMPLETION_INDEX)', String(i)));
    expect(merge.args.slice(1, 4)).toEqual(shards);
  });

  it("runs the pods' commands and the merge job's: the merged library equals the single-machine one", async () => {
    const job = analyzeJob();
    const container = job.spec.template.spec.containers[0];
    for (let index = 0; index < job.spec.completions!; index++) {
      // /cache is an emptyDir of each pod.
      const args = commandLine(container, index).map((arg) => (arg === '/cache' ? path.join(here, `cache-${index}`) : arg));
      expect(await succeeds(args)).toMatch(new RegExp(`Done: shard ${index}/3`));
    }
    const mergeArgs = commandLine(mergeJob().spec.template.spec.containers[0], null);
    const merged = mergeArgs[mergeArgs.indexOf('--into') + 1];
    expect(await succeeds(mergeArgs)).toMatch(/34 of 34 images have a result/);
    expectSameLibrary(merged, single);

    // Merging again skips every shard and leaves the library as it was, ids and all.
    const before = fullDump(merged);
    expect(await succeeds(mergeArgs)).toMatch(/shard 2\/3 .* was merged before, skipped/);
    expect(fullDump(merged)).toEqual(before);

    // The merged library is a library like any other: analysing the folder with it finds nothing left to compute
    // and writes the report a single machine writes.
    const report = path.join(here, 'report.csv');
    const exported = await succeeds(['analyze', photos, '--library', merged, '--out', report, '--data-dir', path.join(here, 'export-data')]);
    expect(exported).toMatch(/Scan: 0 added, 0 changed, 0 removed, 34 unchanged/);
    expect(readFileSync(report, 'utf8')).toBe(readFileSync(path.join(tmp, 'single.csv'), 'utf8'));
    expectSameLibrary(merged, single);
  });

  it('reports a missing shard and merges nothing; --allow-partial merges what is there, and the rest later', async () => {
    const shards = path.join(here, 'shards');
    const target = path.join(here, 'partial.db');
    const missing = await sightline(['merge', path.join(shards, 'shard-0.db'), path.join(shards, 'shard-2.db'), '--into', target]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Shard 1\/3 of .*photos \(GradCAM at \S+\) is missing/);
    expect(existsSync(target)).toBe(false);

    const partial = await sightline(['merge', path.join(shards, 'shard-0.db'), path.join(shards, 'shard-2.db'), '--into', target, '--allow-partial']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/PARTIAL: Shard 1\/3 .* is missing/);
    expect(partial.stderr).toMatch(/(\d+) of 34 images have a result; the others belong to shards not merged yet/);
    // The shard that was missing comes later: the others are skipped, and the library is whole.
    const rest = await succeeds(['merge', ...[0, 1, 2].map((i) => path.join(shards, `shard-${i}.db`)), '--into', target]);
    expect(rest).toMatch(/shard 0\/3 .* was merged before, skipped/);
    expect(rest).toMatch(/merged shard 1\/3/);
    expectSameLibrary(target, single);
  });

  it('refuses an unfinished shard unless --allow-partial, and a shard file that is not one', async () => {
    const shards = path.join(here, 'shards');
    const unfinished = path.join(here, 'unfinished-1.db');
    copyFileSync(path.join(shards, 'shard-1.db'), unfinished);
    // As an analysis stopped half-way leaves it: some results, not marked complete.
    const db = new Database(unfinished);
    db.prepare("UPDATE runs SET state = 'cancelled'").run();
    db.prepare('UPDATE shard_runs SET completed_at = NULL').run();
    db.prepare('DELETE FROM predictions WHERE image_id IN (SELECT image_id FROM predictions WHERE rank = 0 ORDER BY image_id LIMIT 3)').run();
    db.close();
    const files = [path.join(shards, 'shard-0.db'), unfinished, path.join(shards, 'shard-2.db')];
    const target = path.join(here, 'unfinished.db');
    const refused = await sightline(['merge', ...files, '--into', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${unfinished}: shard 1/3 of`);
    expect(refused.stderr).toMatch(/did not finish .* run its sightline analyze --shard 1\/3 again/);
    expect(refused.stderr).toMatch(/Nothing was merged/);
    expect(existsSync(target)).toBe(false);

    const partial = await sightline(['merge', ...files, '--into', target, '--allow-partial']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/merged shard 1\/3 .* \(unfinished\)/);
    expect(partial.stderr).toMatch(/31 of 34 images have a result/);

    const notShard = await sightline(['merge', single, '--into', path.join(here, 'other.db')]);
    expect(notShard.code).toBe(1);
    expect(notShard.stderr).toContain(`${single} holds no shard: it was not written by sightline analyze --shard`);
    const absent = await sightline(['merge', path.join(shards, 'shard-9.db'), '--into', path.join(here, 'other.db')]);
    expect(absent.stderr).toContain(`${path.join(shards, 'shard-9.db')} does not exist`);
  });
});

describe('Slurm job array', () => {
  const scripts = path.join(root, 'deploy', 'slurm');
  const here = path.join(tmp, 'slurm');
  const lines = (file: string) => readFileSync(path.join(scripts, file), 'utf8').split('\n');
  const directive = (file: string, name: string) => lines(file).find((l) => l.startsWith(`#SBATCH --${name}=`))?.split('=')[1];

  /**
   * Runs the script's `sightline` line as bash would: its variables (assignments above it, then `env`) expanded
   * inside and outside double quotes, globs matched, and cluster paths (/shared/...) moved under this test's folder.
   */
  async function runScript(file: string, env: Record<string, string>): Promise<string> {
    const vars: Record<string, string> = { ...env };
    const expand = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => vars[(a ?? b)!] ?? '');
    let command: string[] | null = null;
    for (const line of lines(file)) {
      const assignment = /^(\w+)=(\S+)$/.exec(line);
      if (assignment) {
        const value = expand(assignment[2]);
        vars[assignment[1]] = value.startsWith('/shared/') ? localPath(value, '/shared', here) : value.replace(/^\/tmp\//, `${here}/tmp/`);
      }
      if (line.startsWith('sightline ')) command = words(line, expand);
    }
    expect(command, `${file} runs sightline`).not.toBeNull();
    return succeeds(command!.slice(1));
  }

  it('is an array of 3 tasks whose shard is SLURM_ARRAY_TASK_ID of 3, and a merge submitted with afterok', () => {
    expect(directive('sightline-array.sbatch', 'array')).toBe('0-2');
    const analyze = lines('sightline-array.sbatch').find((l) => l.startsWith('sightline '))!;
    expect(analyze).toContain('--shard "${SLURM_ARRAY_TASK_ID}/3"');
    expect(lines('sightline-merge.sbatch').find((l) => l.startsWith('sightline '))).toMatch(/^sightline merge "\$SHARDS"\/shard-\*\.db --into "\$LIBRARY"$/);
    const submit = lines('submit.sh');
    expect(submit.find((l) => l.includes('sbatch --parsable sightline-array.sbatch'))).toMatch(/^analyze=\$\(/);
    expect(submit).toContain('sbatch --dependency=afterok:"${analyze%%;*}" sightline-merge.sbatch');
  });

  it("runs the array's tasks and the merge job: the merged library equals the single-machine one", async () => {
    const [first, last] = directive('sightline-array.sbatch', 'array')!.split('-').map(Number);
    for (let task = first; task <= last; task++) {
      const stderr = await runScript('sightline-array.sbatch', { SLURM_ARRAY_JOB_ID: '4242', SLURM_ARRAY_TASK_ID: String(task) });
      expect(stderr).toMatch(new RegExp(`Done: shard ${task}/3`));
    }
    expect(readdirSync(path.join(here, 'sightline', 'shards')).filter((f) => f.endsWith('.db')).sort()).toEqual(['shard-0.db', 'shard-1.db', 'shard-2.db']);
    expect(await runScript('sightline-merge.sbatch', {})).toMatch(/34 of 34 images have a result/);
    expectSameLibrary(path.join(here, 'sightline', 'library.db'), single);
  });
});

describe('sightline analyze --shard', () => {
  it('says what is wrong with a bad --shard, and refuses reports and analysis steps on a shard', async () => {
    for (const bad of ['3/3', '1', '4/3', '0/0', 'a/b']) {
      const { code, stderr } = await sightline(['analyze', photos, '--shard', bad, '--library', path.join(tmp, 'bad.db')]);
      expect(code, bad).toBe(2);
      expect(stderr).toContain('--shard takes I/N with 0 ≤ I < N');
    }
    const withReport = await sightline(['analyze', photos, '--shard', '0/3', '--out', 'x.csv', '--sanity']);
    expect(withReport.code).toBe(2);
    expect(withReport.stderr).toContain('--out, --sanity cannot go with --shard');
    const noInto = await sightline(['merge', 'shard-0.db']);
    expect(noInto.code).toBe(2);
    expect(noInto.stderr).toContain('merge needs --into <library.db>');
  });
});

/** Splits a command line into words as bash does for these scripts: double quotes, $VAR, ${VAR} and * globs. */
function words(line: string, expand: (text: string) => string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/(?:"[^"]*"|[^\s"]+)+/g)) {
    const word = match[0].replace(/"([^"]*)"|([^"]+)/g, (_, quoted?: string, bare?: string) =>
      quoted !== undefined ? expand(quoted) : expand(bare!).replace(/\*/g, '\0'),
    );
    if (!word.includes('\0')) {
      out.push(word);
      continue;
    }
    const dir = path.dirname(word);
    const pattern = new RegExp(`^${path.basename(word).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '.*')}$`);
    const matches = existsSync(dir) ? readdirSync(dir).filter((f) => pattern.test(f)).sort() : [];
    out.push(...(matches.length > 0 ? matches.map((f) => path.join(dir, f)) : [word.replace(/\0/g, '*')]));
  }
  return out;
}
