// Kill safety for real: a child process imports a folder and is killed with SIGKILL at random moments
// (while scanning, between and during batches and transactions). After every kill the database must pass
// integrity_check and keep everything the child had reported; a final uninterrupted run must do exactly
// the images still missing, with no duplicates anywhere.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import type { JobProgress } from '../../../common/types';

const child = fileURLToPath(new URL('./test-support/import-child.ts', import.meta.url));
const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-kill-'));
const folder = path.join(tmp, 'photos');
const dataDir = path.join(tmp, 'data');
const BATCH = 4;
const KILLS = 12;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Attempt {
  events: JobProgress[];
  /** null when the child ended by itself. */
  killedAt: string | null;
  exitCode: number | null;
}

/** Runs the child; `killWhen` sees each event and returns a delay in ms after which to SIGKILL it, or null. */
function runChild(killWhen: (p: JobProgress) => number | null): Promise<Attempt> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, folder, String(BATCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: JobProgress[] = [];
    let killedAt: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const p = JSON.parse(line) as JobProgress;
      events.push(p);
      const delay = timer ? null : killWhen(p);
      if (delay === null) return;
      timer = setTimeout(() => {
        const last = events.at(-1)!;
        killedAt = `${delay} ms after "${p.message ?? `${p.done}/${p.total}`}", last report ${last.done}/${last.total}`;
        proc.kill('SIGKILL');
      }, delay);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ events, killedAt: proc.signalCode === 'SIGKILL' ? killedAt : null, exitCode: code });
    });
  });
}

/** Opens the library after a crash (WAL recovery needs a writable handle) and reads what a check needs. */
function inspect(): { integrity: string; images: number; done: number; predictions: number; heatmaps: number; perImage: number[] } {
  const db = new Database(path.join(dataDir, 'library.db'));
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number | string }).n;
    return {
      integrity: String(one('SELECT integrity_check AS n FROM pragma_integrity_check')),
      images: Number(one('SELECT COUNT(*) AS n FROM images')),
      done: Number(one('SELECT COUNT(DISTINCT image_id) AS n FROM predictions')),
      predictions: Number(one('SELECT COUNT(*) AS n FROM predictions')),
      heatmaps: Number(one('SELECT COUNT(*) AS n FROM heatmaps')),
      perImage: (db.prepare('SELECT COUNT(*) AS n FROM predictions GROUP BY image_id').all() as { n: number }[]).map((r) => r.n),
    };
  } finally {
    db.close();
  }
}

it(`survives ${KILLS} SIGKILLs at random moments and resumes exactly the missing images`, async () => {
  // 34 samples and altered copies of 14 of them: 48 distinct files, so every one goes through the engine.
  // When a child finishes before enough kills (a fast engine), another 14 distinct copies give it more work.
  cpSync(samplesDir, folder, { recursive: true });
  const dirs = readdirSync(folder).slice(0, 14);
  let total = 34;
  const addDistinctCopies = async (generation: number) => {
    for (const dir of dirs) {
      const file = readdirSync(path.join(folder, dir)).find((f) => !f.startsWith('copy-'))!;
      await sharp(path.join(folder, dir, file))
        .flop()
        .modulate({ brightness: 1 + generation / 20 })
        .jpeg()
        .toFile(path.join(folder, dir, `copy-${generation}-${path.parse(file).name}.jpg`));
    }
    total += dirs.length;
  };
  let generation = 0;
  await addDistinctCopies(generation);
  let scannedBefore = 0;

  let kills = 0;
  let doneBefore = 0;
  const log: string[] = [];
  for (let attempt = 0; kills < KILLS && attempt < 5 * KILLS; attempt++) {
    // A quarter of the kills land in the scan, a quarter in the engine's first batch, and the rest at a
    // random moment once batches are being stored (in the engine, in a transaction, between the two).
    const phase = attempt % 4;
    const delay = Math.round(Math.random() * [40, 700, 500, 500][phase]);
    let begun = -1;
    const run = await runChild((p) => {
      if (phase === 0) return p.message?.startsWith('Scanning') ? delay : null;
      if (p.total === 0) return null;
      if (begun < 0) begun = p.done;
      return phase === 1 || p.done > begun ? delay : null;
    });
    const state = inspect();
    const reported = Math.max(0, ...run.events.filter((e) => e.total > 0).map((e) => e.done));
    log.push(`${run.killedAt ? `kill ${kills + 1}: ${run.killedAt}` : `ended by itself (exit ${run.exitCode})`}; stored ${state.done}/${total}`);
    expect(state.integrity).toBe('ok');
    // The scan is one transaction: all the files or, when killed before it committed, those of the last scan.
    expect([scannedBefore, total]).toContain(state.images);
    // Everything the child reported as done was committed, and nothing stored earlier went missing.
    expect(state.done).toBeGreaterThanOrEqual(Math.max(reported, doneBefore));
    // Each stored image is whole: three predictions and three maps, never part of a batch.
    expect(state.perImage.every((n) => n === 3)).toBe(true);
    expect(state.predictions).toBe(3 * state.done);
    expect(state.heatmaps).toBe(3 * state.done);
    doneBefore = state.done;
    if (!run.killedAt) {
      if (kills >= KILLS) break;
      scannedBefore = total;
      await addDistinctCopies(++generation);
      continue;
    }
    kills++;
  }
  console.log(`kill-safety:\n  ${log.join('\n  ')}`);
  expect(kills).toBeGreaterThanOrEqual(10);

  // The final, uninterrupted run starts from what is stored and does only the rest.
  const final = await runChild(() => null);
  expect(final.exitCode).toBe(0);
  const begin = final.events.find((e) => e.total > 0)!;
  expect(begin).toMatchObject({ done: doneBefore, total });
  expect(final.events.at(-1)).toMatchObject({ state: 'done', done: total, total, failed: 0 });
  const end = inspect();
  expect(end).toMatchObject({ integrity: 'ok', images: total, done: total, predictions: 3 * total, heatmaps: 3 * total });
  console.log(`  final run: resumed at ${begin.done}/${total}, did ${total - begin.done}, ended ${end.done}/${total}`);
  // Each child starts Node, tsx, the library and the engine's workers (warmed up) before its first image: about
  // 14 children take 100 s on a quiet two-core machine, more on a busy one, so the default 120 s was too tight.
}, 400_000);
