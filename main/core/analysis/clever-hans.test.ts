// The suspicion score on real Clever-Hans cases. The bundled ImageNet model never learned to use a stamp, so
// stamping its photos mostly does not change where it looks; a model that did learn a shortcut is made here
// (test-support/shortcut-model.ts): the bundled MobileNet's head is fine-tuned so that a magenta/lime checker
// logo in the top-left corner means "koala". Its held-out stamped photos must be pulled to koala with their
// Grad-CAM mass on the logo, and after the real import and analysis (metrics, faithfulness, suspicion) the
// score the gallery sorts by must put those photos well above the clean ones. The bundled model's own figure
// on stamped copies is kept as a second test (bench/suspicion.ts prints every stamp kind for both models).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CORNER_UNIFORM_SHARE,
  SHORTCUT_CLASS,
  classOfSample,
  peakInCorner,
  rankingReport,
  shortcutLibrary,
  stampedLibrary,
  type Case,
} from './test-support/clever-hans';

const roots: string[] = [];
const tempRoot = () => {
  roots.push(mkdtempSync(path.join(os.tmpdir(), 'sightline-clever-hans-')));
  return roots[roots.length - 1];
};
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const top1 = (c: Case) => c.image.top[0]?.index;

describe('suspicion ranking on Clever-Hans cases', () => {
  it('puts the photos of a model that learned a watermark shortcut above the clean photos', async () => {
    const started = performance.now();
    const { cases, model, trainingStamped, analysisSeconds } = await shortcutLibrary(tempRoot());
    const stamped = cases.filter((c) => c.stamp !== null);
    const clean = cases.filter((c) => c.stamp === null);
    const pulled = stamped.filter((c) => top1(c) === SHORTCUT_CLASS);
    const cleanPulled = clean.filter((c) => top1(c) === SHORTCUT_CLASS && classOfSample(c.image.relPath) !== SHORTCUT_CLASS);
    const onStamp = pulled.filter((c) => peakInCorner(c.metrics));
    const report = rankingReport(cases, (c) => c.stamp !== null);
    console.log(
      `[clever-hans] shortcut model: head fine-tuned in ${model.seconds.toFixed(1)} s on ${trainingStamped} stamped photos ` +
        `(loss ${model.lossBefore.toFixed(2)} → ${model.lossAfter.toFixed(2)}); import + analysis ${analysisSeconds.toFixed(1)} s.\n` +
        `  held-out stamped photos pulled to the shortcut class: ${pulled.length}/${stamped.length}; clean photos pulled: ${cleanPulled.length}/${clean.length}\n` +
        `  Grad-CAM on the pulled ones: peak on the stamp ${onStamp.length}/${pulled.length}, mean mass on the stamp's corner ` +
        `${mean(pulled.map((c) => c.cornerMass)).toFixed(3)} (clean photos ${mean(clean.map((c) => c.cornerMass)).toFixed(3)}, uniform ${CORNER_UNIFORM_SHARE.toFixed(3)})\n` +
        `  suspicion ranking: ${report.positives} stamped vs ${report.negatives} clean, AP ${report.ap.suspicion!.toFixed(3)} ` +
        `(base rate ${report.baseRate.toFixed(3)}; border ${report.ap.border!.toFixed(3)}, peak in border ${report.ap['peak in border']!.toFixed(3)}, ` +
        `unfaithful ${report.ap.unfaithful!.toFixed(3)}), ${report.topHits} of the top ${report.positives} are stamped; ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s in all`,
    );
    // The model uses the shortcut: measured 15 of 16 pulled, none of the clean photos, every peak on the stamp.
    expect(stamped).toHaveLength(16);
    expect(model.shortcutAccuracy).toBeGreaterThan(0.98);
    expect(pulled.length).toBeGreaterThanOrEqual(12);
    expect(cleanPulled).toEqual([]);
    expect(onStamp.length).toBeGreaterThanOrEqual(Math.ceil(0.8 * pulled.length));
    expect(mean(pulled.map((c) => c.cornerMass))).toBeGreaterThan(2 * CORNER_UNIFORM_SHARE);
    // And the score ranks its cases first: measured AP 0.94 against a base rate of 0.32.
    expect(report.ap.suspicion!).toBeGreaterThanOrEqual(0.8);
    expect(report.topHits).toBeGreaterThanOrEqual(11);
  }, 300_000);

  it('measures the bundled model on stamped copies (a stamp it never learned): stamps that changed the decision rank first', async () => {
    const cases = await stampedLibrary(tempRoot(), { every: 3, stamps: ['object'], faithfulness: false });
    const all = rankingReport(cases, (c) => c.stamp !== null);
    const effective = rankingReport(cases, (c) => c.stamp !== null && c.effective);
    const line = (name: string, r: typeof all) =>
      `${name}: ${r.positives} vs ${r.negatives} clean, AP ${r.ap.suspicion!.toFixed(3)} (base rate ${r.baseRate.toFixed(3)})`;
    console.log(`[clever-hans] bundled model: ${line('all object stamps', all)}; ${line('stamps that changed the top-1 class', effective)}`);
    expect(all.positives).toBe(11);
    expect(effective.positives).toBeGreaterThanOrEqual(2);
    expect(effective.ap.suspicion!).toBeGreaterThan(2 * effective.baseRate);
  }, 120_000);
});
