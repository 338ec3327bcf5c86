// The image metrics on a real SQLite library: computed in the import's batch transaction, kept in step with
// the reviewer's expected box, and the suspicion score recomputed when an analysis step adds an input.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database';
import { LibraryQuery } from '../store/query';
import { Store } from '../store/store';
import { refreshBox, saveFaithfulness, writeResultsWithMetrics } from './image-metrics';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-metrics-'));
  store = new Store(path.join(dir, 'library.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

// 4 × 4 maps: one looks at the top-left corner cell, one at the centre.
const CORNER = new Float32Array(16).fill(0);
CORNER[0] = 4;
const CENTRE = new Float32Array(16).fill(0);
[5, 6, 9, 10].forEach((i) => (CENTRE[i] = 1));

function seed() {
  const dataset = store.ensureDataset('/photos');
  const modelId = store.ensureModel({ hash: 'abc', name: 'toy', dir: '/m', inputSize: 224, labels: ['cat', 'dog'] });
  const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'conv', options: {}, backend: 'cpu' });
  const files = ['corner.jpg', 'centre.jpg', 'twin.jpg', 'bad.jpg'];
  store.applyScan(dataset.id, files.map((relPath) => ({ kind: 'added', relPath, size: 1, mtimeMs: 1, trueLabel: null, trueIndex: null })), []);
  const ids = Object.fromEntries(store.pendingImages(dataset.id, runId).map((p) => [p.relPath, p.id]));
  const ok = (imageId: number, values: Float32Array) => ({
    imageId, ok: true as const, contentHash: `h${imageId}`, width: 8, height: 8, thumbnail: Buffer.alloc(1),
    top: [{ index: 1, prob: 0.9 }, { index: 0, prob: 0.1 }],
    heatmaps: [{ classIndex: 1, h: 4, w: 4, values, scale: 4 }, { classIndex: 0, h: 4, w: 4, values: CENTRE, scale: 1 }],
  });
  writeResultsWithMetrics(store, runId, [ok(ids['corner.jpg'], CORNER), ok(ids['centre.jpg'], CENTRE)]);
  writeResultsWithMetrics(store, runId, [
    { imageId: ids['twin.jpg'], ok: true, contentHash: `h${ids['corner.jpg']}`, twinId: ids['corner.jpg'] },
    { imageId: ids['bad.jpg'], ok: false, error: 'broken', contentHash: null },
  ]);
  return { runId, datasetId: dataset.id, ids };
}

describe('metrics at import', () => {
  it('stores the top-1 map metrics and a suspicion that ranks the corner map first', () => {
    const { runId, ids } = seed();
    const all = store.metrics.forRun(runId);
    expect([...all.keys()].sort()).toEqual([ids['corner.jpg'], ids['centre.jpg'], ids['twin.jpg']].sort());
    const corner = all.get(ids['corner.jpg'])!;
    // The corner cell of a 4 × 4 map is 0.25 × 0.25; the 10 % frame covers 1 − 0.15² / 0.25² = 0.64 of it.
    expect(corner.borderMass).toBeCloseTo(0.64, 6);
    expect(corner).toMatchObject({ classIndex: 1, entropy: 0, gini: 1, peakX: 0.125, peakY: 0.125, areaAboveHalfMax: 1 / 16 });
    expect(corner.pointingHit).toBeNull();
    const centre = all.get(ids['centre.jpg'])!;
    expect(centre.borderMass).toBe(0);
    expect(corner.suspicion).toBeGreaterThan(centre.suspicion);
    expect(all.get(ids['twin.jpg'])).toEqual(corner);
  });

  it('recomputes pointing game, energy in box and suspicion when the box changes, and after faithfulness', () => {
    const { runId, ids } = seed();
    const library = new LibraryQuery(openDatabase(path.join(dir, 'library.db')));
    const id = ids['centre.jpg'];
    const before = store.metrics.get(runId, id)!.suspicion;
    library.setExpectedBox(id, { x: 0, y: 0, w: 0.5, h: 0.5 });
    refreshBox(store.metrics, id);
    let m = store.metrics.get(runId, id)!;
    expect(m.pointingHit).toBe(true);
    expect(m.energyInBox).toBeCloseTo(0.25, 6);
    expect(m.suspicion).toBeGreaterThan(before);
    library.setExpectedBox(id, null);
    refreshBox(store.metrics, id);
    m = store.metrics.get(runId, id)!;
    expect(m.energyInBox).toBeNull();
    expect(m.suspicion).toBeCloseTo(before, 9);
    saveFaithfulness(store.metrics, runId, [{ imageId: id, faithfulness: { baseProb: 0.9, deletionAuc: 0.1, insertionAuc: 0.8, blurDrop: 0 } }]);
    // border 0, peak not in the border, unfaithful 1 (weight 0.5): 0.5 / 2.5
    expect(store.metrics.get(runId, id)!.suspicion).toBeCloseTo(0.5 / 2.5, 6);
    library.close();
  });

  it('drops the metrics of a file whose content changed', () => {
    const { runId, datasetId, ids } = seed();
    store.applyScan(datasetId, [{ kind: 'changed', id: ids['corner.jpg'], relPath: 'corner.jpg', size: 2, mtimeMs: 2, trueLabel: null, trueIndex: null }], []);
    expect(store.metrics.get(runId, ids['corner.jpg'])).toBeNull();
  });
});
