// The suspicion score on Clever-Hans cases made from the sample photos: a half-side macaw crop stamped in the
// top-left corner of every third photo, imported with the clean photos through the real service (MobileNet v1,
// Grad-CAM). The score the gallery sorts by right after an import (no faithfulness yet) must put the stamps that
// drove the decision (top-1 class changed) well above the clean photos. Most stamps do not change what this
// ImageNet model attends to; for all of them together the AP is printed next to the base rate, not asserted
// (bench/suspicion.ts measures every stamp kind, with faithfulness).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rankingReport, stampedLibrary } from './test-support/clever-hans';

const root = mkdtempSync(path.join(os.tmpdir(), 'sightline-clever-hans-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('suspicion ranking on stamped photos', () => {
  it('ranks the stamps that changed the decision above the clean photos', async () => {
    const cases = await stampedLibrary(root, { every: 3, stamps: ['object'], faithfulness: false });
    const all = rankingReport(cases, (c) => c.stamp !== null);
    const effective = rankingReport(cases, (c) => c.stamp !== null && c.effective);
    const line = (name: string, r: typeof all) =>
      `${name}: ${r.positives} vs ${r.negatives} clean, AP ${r.ap.suspicion!.toFixed(3)} (base rate ${r.baseRate.toFixed(3)})`;
    console.log(`[clever-hans] ${line('all object stamps', all)}; ${line('stamps that changed the top-1 class', effective)}`);
    expect(all.positives).toBe(11);
    expect(effective.positives).toBeGreaterThanOrEqual(2);
    expect(effective.ap.suspicion!).toBeGreaterThan(2 * effective.baseRate);
  }, 120_000);
});
