// Does the suspicion score put Clever-Hans cases first? Copies of the sample photos get a stamp (a magenta
// frame, a "© STOCKPHOTO" watermark, or a 96/224 macaw patch in the corner); the clean photos and the stamped
// copies go through the real import (metrics and suspicion stored in the library) and the faithfulness step,
// and the ranking by each score is summarised by its average precision, printed next to the base rate (the
// AP of a random order). "Effective" stamps are those that changed the top-1 class of their photo: only those
// demonstrably drive the decision.
// The bundled ImageNet model never learned any of these stamps, so most of them do not change where it looks.
// The second part measures a model that did learn one (main/core/analysis/test-support/shortcut-model.ts):
// its head fine-tuned so that a checker logo in the top-left corner means "koala"; the library holds the clean
// photos and stamped copies of photos whose stamped copy it was not trained on.
// Run: `npx tsx bench/suspicion.ts [--no-faithfulness] [--every N] [--stamps frame,watermark,patch,object]
//       [--model bundled|shortcut|both]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CORNER_UNIFORM_SHARE,
  SCORES,
  SHORTCUT_CLASS,
  peakInCorner,
  rankingReport,
  shortcutLibrary,
  stampedLibrary,
  type Case,
} from '../main/core/analysis/test-support/clever-hans';
import { STAMPS, type Stamp } from '../main/core/analysis/test-support/stamps';

function printReport(cases: Case[], groups: [string, (c: Case) => boolean][], kinds: readonly Stamp[]) {
  const clean = cases.filter((c) => !c.stamp);
  const names = Object.keys(SCORES);
  console.log(`\nAverage precision of each ranking (stamped copies vs the ${clean.length} clean photos); top: stamped among the first n+ by suspicion`);
  console.log(`${'positives'.padEnd(34)}${'n+'.padStart(4)}${'base'.padStart(7)}${'top'.padStart(5)}${names.map((n) => n.padStart(16)).join('')}`);
  for (const [label, positive] of groups) {
    const r = rankingReport(cases, positive);
    const cells = names.map((n) => (r.ap[n] === null ? '—' : r.ap[n]!.toFixed(3)).padStart(16)).join('');
    console.log(`${label.padEnd(34)}${String(r.positives).padStart(4)}${r.baseRate.toFixed(3).padStart(7)}${String(r.topHits).padStart(5)}${cells}`);
  }
  const mean = (list: Case[], f: (c: Case) => number | null) => list.reduce((sum, c) => sum + (f(c) ?? 0), 0) / Math.max(1, list.length);
  for (const [label, list] of [['clean', clean], ...kinds.map((s) => [s, cases.filter((c) => c.stamp === s)] as const)] as const) {
    console.log(
      `mean ${label.padEnd(10)} border mass ${mean(list, (c) => c.metrics.borderMass).toFixed(3)}  corner mass ${mean(list, (c) => c.cornerMass).toFixed(3)}  ` +
        `blur drop ${mean(list, (c) => c.metrics.blurDrop).toFixed(3)}  deletion AUC ${mean(list, (c) => c.metrics.deletionAuc).toFixed(3)}  suspicion ${mean(list, (c) => c.metrics.suspicion).toFixed(3)}`,
    );
  }
  console.log('\nStamped copies: stamp, top-1 (CHANGED: differs from the clean photo), border mass, peak, suspicion');
  for (const c of cases.filter((c) => c.stamp)) {
    console.log(
      `  ${c.stamp!.padEnd(9)} ${c.image.relPath.padEnd(58)} ${c.effective ? 'CHANGED ' : '        '}${c.image.top[0]?.label.padEnd(22)} ` +
        `${c.metrics.borderMass.toFixed(2)}  (${c.metrics.peakX.toFixed(2)}, ${c.metrics.peakY.toFixed(2)})  ${c.metrics.suspicion.toFixed(3)}`,
    );
  }
}

async function bundled(faithfulness: boolean, every: number, stamps: Stamp[]) {
  const root = mkdtempSync(path.join(tmpdir(), 'sightline-clever-hans-'));
  try {
    const started = performance.now();
    const cases = await stampedLibrary(root, { faithfulness, every, stamps });
    console.log(`\n-- bundled model (ImageNet MobileNet): stamps it never learned`);
    console.log(`${cases.length} images (${cases.filter((c) => !c.stamp).length} clean) in ${((performance.now() - started) / 1000).toFixed(1)} s${faithfulness ? ', faithfulness measured' : ''}`);
    printReport(
      cases,
      [
        ['all stamps', (c) => c.stamp !== null],
        ...stamps.map((s): [string, (c: Case) => boolean] => [s, (c) => c.stamp === s]),
        ['effective stamps (top-1 changed)', (c) => c.stamp !== null && c.effective],
      ],
      stamps,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function shortcut(faithfulness: boolean) {
  const root = mkdtempSync(path.join(tmpdir(), 'sightline-clever-hans-'));
  try {
    const { cases, model, trainingStamped, analysisSeconds } = await shortcutLibrary(root, { faithfulness });
    const stamped = cases.filter((c) => c.stamp);
    const pulled = stamped.filter((c) => c.image.top[0]?.index === SHORTCUT_CLASS);
    console.log(`\n-- shortcut model: the checker logo in the corner means "koala"`);
    console.log(
      `head fine-tuned in ${model.seconds.toFixed(1)} s on ${trainingStamped} stamped photos (loss ${model.lossBefore.toFixed(2)} → ${model.lossAfter.toFixed(2)}); ` +
        `${cases.length} images (${cases.length - stamped.length} clean) imported and analysed in ${analysisSeconds.toFixed(1)} s${faithfulness ? ', faithfulness measured' : ''}`,
    );
    console.log(
      `held-out stamped photos pulled to koala: ${pulled.length}/${stamped.length}; Grad-CAM peak on the stamp: ${pulled.filter((c) => peakInCorner(c.metrics)).length}/${pulled.length}; ` +
        `uniform corner mass ${CORNER_UNIFORM_SHARE.toFixed(3)}`,
    );
    printReport(
      cases,
      [
        ['checker (held-out photos)', (c) => c.stamp !== null],
        ['checker, pulled to koala', (c) => c.stamp !== null && c.image.top[0]?.index === SHORTCUT_CLASS],
      ],
      ['checker'],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main() {
  const faithfulness = !process.argv.includes('--no-faithfulness');
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const every = Number(arg('--every') ?? 3);
  const stamps = (arg('--stamps')?.split(',') ?? STAMPS).filter((s): s is (typeof STAMPS)[number] => (STAMPS as readonly string[]).includes(s));
  const which = arg('--model') ?? 'both';
  if (which !== 'shortcut') await bundled(faithfulness, every, stamps);
  if (which !== 'bundled') await shortcut(faithfulness);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
