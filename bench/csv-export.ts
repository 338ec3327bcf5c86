// Streams the CSV report of a synthetic 100,000-image library (real SQLite, real metrics) to a file and prints
// the time and the memory it took: rows go from SQLite's iterator through csv-stringify to the file, so the
// heap must stay flat however many images there are.
// Run: `npx tsx bench/csv-export.ts [count]`.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeResultsWithMetrics } from '../main/core/analysis/image-metrics';
import { writeCsv } from '../main/core/export/csv';
import { Store, type ImageResult } from '../main/core/store/store';

const count = Number(process.argv[2] ?? 100_000);
const root = mkdtempSync(path.join(tmpdir(), 'sightline-csv-bench-'));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

try {
  const store = new Store(path.join(root, 'library.db'));
  const dataset = store.ensureDataset('/photos/synthetic');
  const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}, "quoted"`);
  const modelId = store.ensureModel({ hash: 'bench', name: 'synthetic', dir: '/m', inputSize: 224, labels });
  const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'conv', options: {}, backend: 'cpu' });
  let started = performance.now();
  const files = Array.from({ length: count }, (_, i) => ({
    kind: 'added' as const,
    relPath: `${String(i % 1000).padStart(3, '0')}_class/photo ${i}, "x".jpg`,
    size: 1,
    mtimeMs: 1,
    trueLabel: `class ${i % 1000}`,
    trueIndex: i % 1000,
  }));
  store.applyScan(dataset.id, files, [], modelId);
  const pending = store.pendingImages(dataset.id, runId);
  for (let start = 0; start < pending.length; start += 1000) {
    const batch = pending.slice(start, start + 1000).map((p, j): ImageResult => {
      const i = start + j;
      if (i % 97 === 0) return { imageId: p.id, ok: false, error: 'Not an image: =cmd|"/c calc"', contentHash: `e${i}` };
      const values = Float32Array.from({ length: 49 }, (_, k) => Math.abs(Math.sin(i * 7 + k)));
      return {
        imageId: p.id, ok: true, contentHash: `h${i}`, width: 640, height: 480, thumbnail: Buffer.alloc(1),
        top: [{ index: i % 1000, prob: 0.7 }, { index: (i + 1) % 1000, prob: 0.2 }, { index: (i + 2) % 1000, prob: 0.05 }],
        heatmaps: [{ classIndex: i % 1000, h: 7, w: 7, values, scale: 1 }],
      };
    });
    writeResultsWithMetrics(store, runId, batch);
  }
  for (let i = 0; i < count; i += 10) store.setReview(pending[i].id, runId, 'misattended', `=note ${i}\nwith a newline, a comma and "quotes" ünïcödé`);
  console.log(`Synthetic library: ${count} images with metrics in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  global.gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  }, 20);
  const file = path.join(root, 'report.csv');
  started = performance.now();
  const rows = await writeCsv(dataset.rootPath, store.exportRows(dataset.id, runId), createWriteStream(file), { bom: true });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(
    `CSV export: ${rows} rows, ${mb(statSync(file).size)} in ${seconds.toFixed(2)} s (${Math.round(rows / seconds)} rows/s); ` +
      `heap ${mb(before.heapUsed)} → peak ${mb(peakHeap)} (+${mb(peakHeap - before.heapUsed)}), RSS peak +${mb(peakRss - before.rss)}`,
  );
  store.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
