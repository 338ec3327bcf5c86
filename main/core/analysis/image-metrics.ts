// The metrics of each image's top-1 map, computed here and kept by the store's metrics table: the cheap ones
// with each import batch, the pointing game and energy in the box when the reviewer's box changes, and the
// suspicion score again whenever one of its inputs changes.
import type { ImageResult, Store } from '../store/store';
import type { ExpectedBox, MetricsTable, TopMap } from '../store/metrics-table';
import type { Faithfulness } from './faithfulness';
import { attentionMetrics, energyInBox, pointingHit } from './metrics';
import { suspicionScore } from './suspicion';

/** Writes an import batch's results with the metrics of their top-1 maps, in one transaction. */
export function writeResultsWithMetrics(store: Store, runId: number, results: readonly ImageResult[]): void {
  store.metrics.transaction(() => {
    store.writeResults(runId, results);
    // A failed image loses its old metrics.
    for (const r of results) metricsAtImport(store.metrics, runId, r.imageId);
  });
}

/** (Re)computes the cheap metrics of the image's stored top-1 map in this run. */
export function metricsAtImport(table: MetricsTable, runId: number, imageId: number): void {
  const map = table.topMap(runId, imageId);
  if (!map) return table.drop(runId, imageId);
  table.saveImportMetrics(runId, imageId, { classIndex: map.classIndex, ...attentionMetrics(map), ...boxMetrics(map, table.expectedBox(imageId)) });
  updateSuspicion(table, runId, imageId);
}

/** The expected box changed: pointing game, energy in box and suspicion of every run of the image. */
export function refreshBox(table: MetricsTable, imageId: number): void {
  const box = table.expectedBox(imageId);
  table.transaction(() => {
    for (const runId of table.runsOf(imageId)) {
      const map = table.topMap(runId, imageId);
      if (!map) continue;
      table.saveBoxMetrics(runId, imageId, boxMetrics(map, box));
      updateSuspicion(table, runId, imageId);
    }
  });
}

export function saveFaithfulness(table: MetricsTable, runId: number, results: readonly { imageId: number; faithfulness: Faithfulness }[]): void {
  table.transaction(() => {
    for (const { imageId, faithfulness } of results) {
      table.saveFaithfulness(runId, imageId, faithfulness);
      updateSuspicion(table, runId, imageId);
    }
  });
}

export function saveAgreement(table: MetricsTable, runId: number, otherRunId: number, results: readonly { imageId: number; agreement: number }[]): void {
  table.transaction(() => {
    for (const { imageId, agreement } of results) {
      table.saveAgreement(runId, imageId, otherRunId, agreement);
      updateSuspicion(table, runId, imageId);
    }
  });
}

function boxMetrics(map: TopMap, box: ExpectedBox | null): { pointingHit: boolean | null; energyInBox: number | null } {
  return box ? { pointingHit: pointingHit(map, box), energyInBox: energyInBox(map, box) } : { pointingHit: null, energyInBox: null };
}

function updateSuspicion(table: MetricsTable, runId: number, imageId: number): void {
  const inputs = table.suspicionColumns(runId, imageId);
  if (inputs) table.saveSuspicion(runId, imageId, suspicionScore(inputs));
}
