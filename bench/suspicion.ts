// Does the suspicion score put Clever-Hans cases first? Copies of the sample photos get a stamp (a magenta
// frame, a "© STOCKPHOTO" watermark, or a 96/224 macaw patch in the corner); the clean photos and the stamped
// copies go through the real import (metrics and suspicion stored in the library) and the faithfulness step,
// and the ranking by each score is summarised by its average precision, printed next to the base rate (the
// AP of a random order). "Effective" stamps are those that changed the top-1 class of their photo: only those
// demonstrably drive the decision.
// Run: `npx tsx bench/suspicion.ts [--no-faithfulness] [--every N] [--stamps frame,watermark,patch,object]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImageMetrics } from '../common/types';
import { SCORES, rankingReport, stampedLibrary, type Case } from '../main/core/analysis/test-support/clever-hans';
import { STAMPS, type Stamp } from '../main/core/analysis/test-support/stamps';

async function main() {
  const faithfulness = !process.argv.includes('--no-faithfulness');
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const every = Number(arg('--every') ?? 3);
  const stamps = (arg('--stamps')?.split(',') ?? STAMPS).filter((s): s is Stamp => (STAMPS as readonly string[]).includes(s));
  const root = mkdtempSync(path.join(tmpdir(), 'sightline-clever-hans-'));
  try {
    const started = performance.now();
    const cases = await stampedLibrary(root, { faithfulness, every, stamps });
    console.log(`${cases.length} images (${cases.filter((c) => !c.stamp).length} clean) in ${((performance.now() - started) / 1000).toFixed(1)} s${faithfulness ? ', faithfulness measured' : ''}`);
    const groups: [string, (c: Case) => boolean][] = [
      ['all stamps', (c) => c.stamp !== null],
      ...stamps.map((s): [string, (c: Case) => boolean] => [s, (c) => c.stamp === s]),
      ['effective stamps (top-1 changed)', (c) => c.stamp !== null && c.effective],
    ];
    const names = Object.keys(SCORES);
    console.log(`\nAverage precision of each ranking (stamped copies vs the ${cases.filter((c) => !c.stamp).length} clean photos)`);
    console.log(`${'positives'.padEnd(34)}${'n+'.padStart(4)}${'base'.padStart(7)}${names.map((n) => n.padStart(16)).join('')}`);
    for (const [label, positive] of groups) {
      const r = rankingReport(cases, positive);
      const cells = names.map((n) => (r.ap[n] === null ? '—' : r.ap[n]!.toFixed(3)).padStart(16)).join('');
      console.log(`${label.padEnd(34)}${String(r.positives).padStart(4)}${r.baseRate.toFixed(3).padStart(7)}${cells}`);
    }
    const mean = (list: Case[], f: (m: ImageMetrics) => number | null) => list.reduce((sum, c) => sum + (f(c.metrics) ?? 0), 0) / Math.max(1, list.length);
    for (const [label, list] of [['clean', cases.filter((c) => !c.stamp)], ...stamps.map((s) => [s, cases.filter((c) => c.stamp === s)] as const)] as const) {
      console.log(`mean ${label.padEnd(10)} border mass ${mean(list, (m) => m.borderMass).toFixed(3)}  blur drop ${mean(list, (m) => m.blurDrop).toFixed(3)}  deletion AUC ${mean(list, (m) => m.deletionAuc).toFixed(3)}  suspicion ${mean(list, (m) => m.suspicion).toFixed(3)}`);
    }
    console.log('\nStamped copies: stamp, top-1 (clean → stamped), border mass, peak, suspicion');
    for (const c of cases.filter((c) => c.stamp)) {
      console.log(
        `  ${c.stamp!.padEnd(9)} ${c.image.relPath.padEnd(58)} ${c.effective ? 'CHANGED ' : '        '}${c.image.top[0]?.label.padEnd(22)} ` +
          `${c.metrics.borderMass.toFixed(2)}  (${c.metrics.peakX.toFixed(2)}, ${c.metrics.peakY.toFixed(2)})  ${c.metrics.suspicion.toFixed(3)}`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
