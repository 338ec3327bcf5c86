// The built command (`npm run build` output behind bin/sightline.js), as a user runs it: the unit tests run the
// sources, so only this catches a bundle that cannot load or a worker file the build left out.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { samplesDir } from './harness';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin', 'sightline.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-built-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], { cwd: tmp, env: { ...process.env, SIGHTLINE_DATA_DIR: path.join(tmp, 'data') } });

describe('built sightline command', () => {
  it('prints its usage', async () => {
    expect(existsSync(path.join(root, 'out', 'main', 'cli.js')), 'run `npm run build` first').toBe(true);
    const { stdout } = await run(['--help']);
    expect(stdout).toMatch(/sightline analyze <folder> --out/);
  });

  it('analyze writes the CSV and HTML reports with the bundled engine worker', async () => {
    for (const dir of ['235_german_shepherd', '967_espresso']) cpSync(path.join(samplesDir, dir), path.join(tmp, 'photos', dir), { recursive: true });
    const { stderr } = await run(['analyze', 'photos', '--out', 'report.csv', '--html', 'report.html']);
    expect(stderr).toMatch(/Backend: (wasm|cpu|tensorflow)/);
    const rows = parse(readFileSync(path.join(tmp, 'report.csv')), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.top1_label).sort()).toEqual(['German shepherd', 'espresso']);
    expect(readFileSync(path.join(tmp, 'report.html'), 'utf8')).toContain('Reproducibility manifest');
  });
});
