// The CLI as a person runs it: a child process, a real folder, a real model, a CSV on disk.
import { parse } from 'csv-parse/sync';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from './core/store/database';
import { LibraryQuery } from './core/store/query';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Runs from the temp folder, so that relative paths resolve there; tsx is loaded from this checkout.
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sightline = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), ...args], { cwd: tmp });

it('analyze writes a CSV report for a folder and reports the backend and progress on stderr', async () => {
  const folder = path.join(tmp, 'four');
  for (const sample of ['008_hen', '281_tabby', '652_military_uniform', '967_espresso']) {
    cpSync(path.join(root, 'resources/samples', sample), path.join(folder, sample), { recursive: true });
  }
  const { stdout, stderr } = await sightline('analyze', folder, '--out', 'out/report.csv', '--data-dir', path.join(tmp, 'data'));
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^Backend: (tensorflow-gpu|tensorflow|wasm|cpu)$/m);
  expect(stderr).toMatch(/^Runtime: ONNX Runtime \(cpu\)$/m);
  // This project's .npmrc installs onnxruntime-node without its CUDA provider; tfjs-node-gpu needs a download.
  expect(stderr).toMatch(
    /^Engine: ONNX Runtime \(cpu\) · head on \S+ — CUDA skipped: CUDA provider library not installed: .+; tfjs-node-gpu skipped: @tensorflow\/tfjs-node-gpu is not installed/m,
  );
  expect(stderr).toMatch(/4\/4 {2}failed 0 {2}[\d.]+ img\/s/);
  expect(stderr).toContain(`Report: ${path.join(tmp, 'out/report.csv')}`);

  const records = parse(readFileSync(path.join(tmp, 'out/report.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(records.map((r) => r.relative_path)).toEqual([
    '008_hen/gcompris_chicken.webp',
    '281_tabby/gcompris_cat.webp',
    '652_military_uniform/matplotlib_grace_hopper.jpg',
    '967_espresso/skimage_coffee.png',
  ]);
  for (const r of records) {
    expect(r).toMatchObject({ status: 'done', error: '', path: path.join(folder, r.relative_path) });
    expect(Number(r.top1_prob)).toBeGreaterThan(0);
    expect(['true', 'false']).toContain(r.correct);
  }
});

it('analyze takes the method, layer and number of maps of its run', async () => {
  const folder = path.join(tmp, 'one');
  cpSync(path.join(root, 'resources/samples/281_tabby'), path.join(folder, '281_tabby'), { recursive: true });
  const args = ['--out', 'one.csv', '--data-dir', path.join(tmp, 'data'), '--method', 'EigenCAM', '--layer', 'conv_pw_11', '--maps', '1'];
  const { stderr } = await sightline('analyze', folder, ...args);
  expect(stderr).toMatch(/^Run \d+: EigenCAM at conv_pw_11, \{"topK":3,"camTopK":1\}$/m);
  expect(stderr).toMatch(/1\/1 {2}failed 0/);
  expect(stderr).toMatch(/^Scan: 1 added, 0 changed, 0 removed, 0 unchanged$/m);
  expect(stderr).toMatch(/^Done: 1 analysed now, 0 already analysed, 0 failed\. Report: /m);
  // Again, with the TF.js runtime: the same run (the runtime changes how, not what), nothing left to do.
  const again = (await sightline('analyze', folder, ...args, '--runtime', 'tfjs')).stderr;
  expect(again).toMatch(/^Scan: 0 added, 0 changed, 0 removed, 1 unchanged$/m);
  expect(again).toMatch(/^Runtime: TF\.js$/m);
  expect(again).toMatch(/^Done: 0 analysed now, 1 already analysed, 0 failed\. Report: /m);
  // A photo added since: only it is computed, and the line says which part was done before.
  cpSync(path.join(root, 'resources/samples/008_hen'), path.join(folder, '008_hen'), { recursive: true });
  const added = (await sightline('analyze', folder, ...args)).stderr;
  expect(added).toMatch(/^Scan: 1 added, 0 changed, 0 removed, 1 unchanged$/m);
  expect(added).toMatch(/^Done: 1 analysed now, 1 already analysed, 0 failed\. Report: .*one\.csv \(2 rows\)$/m);
});

it('analyze --html --sanity --faithfulness --bom: lowercase method, an HTML report, the sanity check on stdout', async () => {
  const folder = path.join(tmp, 'two');
  for (const sample of ['235_german_shepherd', '088_macaw']) cpSync(path.join(root, 'resources/samples', sample), path.join(folder, sample), { recursive: true });
  const args = ['--out', 'two.csv', '--html', 'two.html', '--method', 'gradcam', '--sanity', '--faithfulness', '1', '--bom'];
  const { stdout, stderr } = await sightline('analyze', folder, ...args, '--data-dir', path.join(tmp, 'data'));
  expect(stderr).toMatch(/^Run \d+: GradCAM at conv_pw_13_relu/m);
  expect(stderr).toMatch(/^Faithfulness measured for 1 maps$/m);
  expect(stdout).toMatch(/^Sanity check \(model randomisation, conv_pw_13_bn, conv_preds; 2 images\): rank correlation with the trained maps -?[\d.]+ — the maps depend on the weights$/m);
  const csv = readFileSync(path.join(tmp, 'two.csv'));
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const records = parse(csv, { columns: true, bom: true }) as Record<string, string>[];
  expect(records.filter((r) => r.blur_drop !== '')).toHaveLength(1);
  expect(records.every((r) => r.suspicion !== '' && r.method === 'GradCAM')).toBe(true);
  const html = readFileSync(path.join(tmp, 'two.html'), 'utf8');
  for (const id of ['summary', 'suspicious', 'manifest']) expect(html).toContain(`<section id="${id}">`);
  expect(html).toMatch(/Sanity check<\/th><td>rank correlation/);
});

it('analyze --flagged --flagged-links: the photos flagged in the library as a path list and a folder of links', async () => {
  const folder = path.join(tmp, 'flagged');
  for (const sample of ['008_hen', '281_tabby']) cpSync(path.join(root, 'resources/samples', sample), path.join(folder, sample), { recursive: true });
  const dataDir = path.join(tmp, 'data-flagged');
  await sightline('analyze', folder, '--out', 'flagged.csv', '--data-dir', dataDir);
  // A person flags the tabby in the gallery (the library it writes to).
  const library = openDatabase(path.join(dataDir, 'library.db'));
  const tabby = library.prepare("SELECT id FROM images WHERE rel_path LIKE '281_tabby/%'").pluck().get() as number;
  new LibraryQuery(library).setVerdicts([{ imageId: tabby, verdict: 'misattended' }], () => 1);
  library.close();

  const { stderr } = await sightline('analyze', folder, '--out', 'flagged.csv', '--data-dir', dataDir, '--flagged', 'retrain/flagged.txt', '--flagged-links', 'links');
  const cat = path.join(realpathSync(folder), '281_tabby/gcompris_cat.webp');
  expect(readFileSync(path.join(tmp, 'retrain/flagged.txt'), 'utf8')).toBe(`${cat}\n`);
  expect(readlinkSync(path.join(tmp, 'links/281_tabby/gcompris_cat.webp'))).toBe(cat);
  expect(readdirSync(path.join(tmp, 'links'))).toEqual(['281_tabby']);
  expect(stderr).toContain(`${path.join(tmp, 'retrain/flagged.txt')} (1 flagged), ${path.join(tmp, 'links')} (1 links)`);
});

it('analyze of a folder with no photos says so, and where it looked, and writes an empty report', async () => {
  const folder = path.join(tmp, 'no-photos');
  mkdirSync(path.join(folder, 'notes'), { recursive: true });
  writeFileSync(path.join(folder, 'notes/readme.txt'), 'not a photo');
  const { stderr } = await sightline('analyze', folder, '--out', 'no-photos.csv', '--data-dir', path.join(tmp, 'data'));
  expect(stderr).toMatch(/^Scan: 0 added, 0 changed, 0 removed, 0 unchanged$/m);
  expect(stderr).toContain(`Note: no photos found in ${folder} (looked for .jpg, .jpeg, .png, .webp, .gif, .tif, .bmp, .avif and .heic files,`);
  expect(stderr).toMatch(/^Done: 0 analysed now, 0 already analysed, 0 failed\. Report: .*no-photos\.csv \(0 rows\)$/m);
});

it('analyze says a missing folder, or a file given for one, before it loads any model', async () => {
  const dataDir = path.join(tmp, 'data-no-folder');
  const missing = path.join(tmp, 'no-such-folder');
  const failure = (stderr: string) => ({ code: 1, stdout: '', stderr });
  await expect(sightline('analyze', missing, '--out', 'x.csv', '--data-dir', dataDir)).rejects.toMatchObject(failure(`sightline: There is no folder ${missing}\n`));
  const file = path.join(root, 'resources/samples/281_tabby/gcompris_cat.webp');
  await expect(sightline('analyze', file, '--out', 'x.csv', '--data-dir', dataDir)).rejects.toMatchObject(
    failure(`sightline: ${file} is a file, not a folder: choose the folder that holds the photos\n`),
  );
  // Nothing was opened or loaded: no library, no report.
  expect(existsSync(dataDir)).toBe(false);
  expect(existsSync(path.join(tmp, 'x.csv'))).toBe(false);
});

it('explains its usage and fails with code 2 on a wrong command line', async () => {
  const help = await sightline('--help');
  expect(help.stdout).toMatch(/sightline analyze <folder> --out <report\.csv>/);
  // --library (an Option) appears in the usage of each command that takes it.
  const usage = (command: string) => help.stdout.slice(help.stdout.indexOf(`sightline ${command} `)).split(/\n {2}sightline /)[0];
  for (const command of ['analyze <folder> --out', 'serve', 'models']) expect(usage(command)).toContain('[--library FILE]');
  await expect(sightline('analyze', tmp)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --out/) });
  await expect(sightline('analyze', tmp, '--out', 'x.csv', '--method', 'GuessCAM')).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/--method must be one of GradCAM, /),
  });
  await expect(sightline('analyze', tmp, '--out', 'x.csv', '--maps', '7')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--maps/) });
  await expect(sightline('analyze', tmp, '--out', 'x.csv', '--runtime', 'fast')).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/--runtime must be one of auto, onnx, tfjs/),
  });
  await expect(sightline('frobnicate')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown command "frobnicate"/) });
  await expect(sightline('serve', '--engine', 'later')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--engine must be one of eager, on-demand/) });
});

it('serve --engine on-demand leaves the engine idle and says so, in its output and in getInfo', async () => {
  const child = spawn(
    process.execPath,
    ['--import', tsx, path.join(root, 'main/cli.ts'), 'serve', '--engine', 'on-demand', '--port', '0', '--data-dir', path.join(tmp, 'on-demand-data')],
    { cwd: tmp },
  );
  try {
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Engine: ')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    expect(stdout).toContain('Engine: starts with the first import, run or map asked for (--engine on-demand).');
    const url = new URL(/at (http:\S+)/.exec(stdout)![1]);
    const token = url.hash.slice('#token='.length);
    const info = async () =>
      (await (
        await fetch(new URL('/api/getInfo', url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-sightline-token': token }, body: '{}' })
      ).json()) as { backend: unknown; engineOnDemand?: boolean; model: unknown };
    // The model joins the library at once; its engine does not start while nothing needs it.
    await expect.poll(async () => (await info()).model, { timeout: 60_000 }).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await info()).toMatchObject({ backend: null, engineOnDemand: true });
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

it('serve on every interface warns on stderr and prints an address other machines can open', async () => {
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), 'serve', '--host', '0.0.0.0', '--data-dir', path.join(tmp, 'serve-data')], {
    cwd: tmp,
  });
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Press Ctrl+C')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    expect(stderr).toMatch(/^Warning: Listening on every network interface \(0\.0\.0\.0\): .*--host 127\.0\.0\.1/m);
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
    const url = new URL(/at (http:\S+)/.exec(stdout)![1]);
    expect(url.hostname).toBe(external?.address ?? '127.0.0.1');
    expect(url.hash).toMatch(/^#token=[\w-]{40,}$/);
  } finally {
    // Nothing to keep: a graceful stop would wait for the model it is loading.
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
