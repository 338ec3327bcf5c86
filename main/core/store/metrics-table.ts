// The metrics table: attention metrics of each image's top-1 map per run, the optional analysis results
// (faithfulness, agreement, cluster) and the suspicion score. It only stores: analysis/image-metrics.ts computes
// them, and recomputes the suspicion whenever an input changes.
import type { ImageMetrics, SanityCheck } from '../../../common/types';
import { prepared, type Db } from './database';
import { blobToHeatmap } from './heatmap-blob';

/** The metrics table's columns as SQLite returns them. */
export interface MetricsDbRow {
  image_id: number;
  class_index: number;
  border_mass: number;
  entropy: number;
  gini: number;
  peak_x: number;
  peak_y: number;
  area_half_max: number;
  pointing_hit: number | null;
  energy_in_box: number | null;
  deletion_auc: number | null;
  insertion_auc: number | null;
  blur_drop: number | null;
  agreement: number | null;
  agreement_run_id: number | null;
  cluster: number | null;
  suspicion: number;
}

/** A stored map (a top-1 map unless asked for a class) with what the metrics need around it. */
export interface TopMap {
  imageId: number;
  classIndex: number;
  h: number;
  w: number;
  values: Float32Array;
}

/** The reviewer's expected region, in fractions of the image. */
export interface ExpectedBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What the import computes from a top-1 map. */
export type ImportMetrics = Pick<
  ImageMetrics,
  'classIndex' | 'borderMass' | 'entropy' | 'gini' | 'peakX' | 'peakY' | 'areaAboveHalfMax' | 'pointingHit' | 'energyInBox'
>;

/** What the suspicion score is computed from. */
export type SuspicionColumns = Pick<ImageMetrics, 'borderMass' | 'peakX' | 'peakY' | 'blurDrop' | 'agreement' | 'energyInBox'>;

const TOP1_MAP = `SELECT h.image_id, h.class_index, h.h, h.w, h."values" FROM heatmaps h
  JOIN predictions p ON p.run_id = h.run_id AND p.image_id = h.image_id AND p.rank = 0 AND p.class_index = h.class_index`;

export class MetricsTable {
  constructor(private readonly db: Db) {}

  /** Runs `write` in one transaction (nested inside the import's batch transaction when there is one). */
  transaction(write: () => void): void {
    this.db.transaction(write)();
  }

  /** Stores the cheap metrics of the image's top-1 map, clearing what later analysis steps had added. */
  saveImportMetrics(runId: number, imageId: number, m: ImportMetrics): void {
    prepared(
      this.db,
      `INSERT INTO metrics (run_id, image_id, class_index, border_mass, entropy, gini, peak_x, peak_y, area_half_max,
           pointing_hit, energy_in_box, suspicion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (run_id, image_id) DO UPDATE SET class_index = excluded.class_index, border_mass = excluded.border_mass,
           entropy = excluded.entropy, gini = excluded.gini, peak_x = excluded.peak_x, peak_y = excluded.peak_y,
           area_half_max = excluded.area_half_max, pointing_hit = excluded.pointing_hit, energy_in_box = excluded.energy_in_box,
           deletion_auc = NULL, insertion_auc = NULL, blur_drop = NULL, agreement = NULL, agreement_run_id = NULL, cluster = NULL`,
    ).run(runId, imageId, m.classIndex, m.borderMass, m.entropy, m.gini, m.peakX, m.peakY, m.areaAboveHalfMax,
      m.pointingHit === null ? null : Number(m.pointingHit), m.energyInBox);
  }

  /** An image without a top-1 map (a failed one) has no metrics. */
  drop(runId: number, imageId: number): void {
    prepared(this.db, 'DELETE FROM metrics WHERE run_id = ? AND image_id = ?').run(runId, imageId);
  }

  /** The runs with metrics of this image. */
  runsOf(imageId: number): number[] {
    return this.db.prepare('SELECT run_id FROM metrics WHERE image_id = ?').pluck().all(imageId) as number[];
  }

  saveBoxMetrics(runId: number, imageId: number, m: Pick<ImageMetrics, 'pointingHit' | 'energyInBox'>): void {
    prepared(this.db, 'UPDATE metrics SET pointing_hit = ?, energy_in_box = ? WHERE run_id = ? AND image_id = ?')
      .run(m.pointingHit === null ? null : Number(m.pointingHit), m.energyInBox, runId, imageId);
  }

  saveFaithfulness(runId: number, imageId: number, f: Pick<ImageMetrics, 'deletionAuc' | 'insertionAuc' | 'blurDrop'>): void {
    prepared(this.db, 'UPDATE metrics SET deletion_auc = ?, insertion_auc = ?, blur_drop = ? WHERE run_id = ? AND image_id = ?')
      .run(f.deletionAuc, f.insertionAuc, f.blurDrop, runId, imageId);
  }

  saveAgreement(runId: number, imageId: number, otherRunId: number, agreement: number): void {
    prepared(this.db, 'UPDATE metrics SET agreement = ?, agreement_run_id = ? WHERE run_id = ? AND image_id = ?')
      .run(agreement, otherRunId, runId, imageId);
  }

  suspicionColumns(runId: number, imageId: number): SuspicionColumns | null {
    const row = prepared(
      this.db,
      'SELECT border_mass, peak_x, peak_y, blur_drop, agreement, energy_in_box FROM metrics WHERE run_id = ? AND image_id = ?',
    ).get(runId, imageId) as Pick<MetricsDbRow, 'border_mass' | 'peak_x' | 'peak_y' | 'blur_drop' | 'agreement' | 'energy_in_box'> | undefined;
    return row
      ? { borderMass: row.border_mass, peakX: row.peak_x, peakY: row.peak_y, blurDrop: row.blur_drop, agreement: row.agreement, energyInBox: row.energy_in_box }
      : null;
  }

  saveSuspicion(runId: number, imageId: number, suspicion: number): void {
    prepared(this.db, 'UPDATE metrics SET suspicion = ? WHERE run_id = ? AND image_id = ?').run(suspicion, runId, imageId);
  }

  setClusters(runId: number, clusters: ReadonlyMap<number, number>): void {
    const update = this.db.prepare('UPDATE metrics SET cluster = ? WHERE run_id = ? AND image_id = ?');
    this.db.transaction(() => clusters.forEach((cluster, imageId) => update.run(cluster, runId, imageId)))();
  }

  /** Top-1 maps of the run's live images in the dataset, in relative-path order. */
  topMaps(runId: number, datasetId: number): TopMap[] {
    const rows = this.db
      .prepare(`${TOP1_MAP} JOIN images i ON i.id = h.image_id WHERE h.run_id = ? AND i.dataset_id = ? AND i.removed_at IS NULL ORDER BY i.rel_path`)
      .all(runId, datasetId) as MapDbRow[];
    return rows.map(toTopMap);
  }

  /** The map of a given class of an image in a run, if stored. */
  classMap(runId: number, imageId: number, classIndex: number): TopMap | null {
    const row = this.db
      .prepare('SELECT image_id, class_index, h, w, "values" FROM heatmaps WHERE run_id = ? AND image_id = ? AND class_index = ?')
      .get(runId, imageId, classIndex) as MapDbRow | undefined;
    return row ? toTopMap(row) : null;
  }

  forRun(runId: number): Map<number, ImageMetrics> {
    const rows = this.db.prepare('SELECT * FROM metrics WHERE run_id = ?').all(runId) as MetricsDbRow[];
    return new Map(rows.map((r) => [r.image_id, toMetrics(r)]));
  }

  get(runId: number, imageId: number): ImageMetrics | null {
    const row = this.db.prepare('SELECT * FROM metrics WHERE run_id = ? AND image_id = ?').get(runId, imageId) as MetricsDbRow | undefined;
    return row ? toMetrics(row) : null;
  }

  saveSanity(check: Omit<SanityCheck, 'createdAt'>): SanityCheck {
    this.db
      .prepare('INSERT OR REPLACE INTO sanity_checks (run_id, randomized_layers, similarity, sample_size, warning) VALUES (?, ?, ?, ?, ?)')
      .run(check.runId, JSON.stringify(check.randomizedLayers), check.similarity, check.sampleSize, check.warning);
    return this.sanity(check.runId)!;
  }

  sanity(runId: number): SanityCheck | null {
    const row = this.db.prepare('SELECT * FROM sanity_checks WHERE run_id = ?').get(runId) as
      | { run_id: number; randomized_layers: string; similarity: number; sample_size: number; warning: string | null; created_at: string }
      | undefined;
    return row
      ? {
          runId: row.run_id,
          randomizedLayers: JSON.parse(row.randomized_layers) as string[],
          similarity: row.similarity,
          sampleSize: row.sample_size,
          warning: row.warning,
          createdAt: row.created_at,
        }
      : null;
  }

  /** The image's top-1 map in the run, if stored. */
  topMap(runId: number, imageId: number): TopMap | null {
    const row = prepared(this.db, `${TOP1_MAP} WHERE h.run_id = ? AND h.image_id = ?`).get(runId, imageId) as MapDbRow | undefined;
    return row ? toTopMap(row) : null;
  }

  expectedBox(imageId: number): ExpectedBox | null {
    const row = prepared(this.db, 'SELECT box_x, box_y, box_w, box_h FROM reviews WHERE image_id = ?').get(imageId) as
      | { box_x: number | null; box_y: number | null; box_w: number | null; box_h: number | null }
      | undefined;
    if (!row || row.box_x === null || row.box_y === null || row.box_w === null || row.box_h === null) return null;
    return { x0: row.box_x, y0: row.box_y, x1: row.box_x + row.box_w, y1: row.box_y + row.box_h };
  }
}

interface MapDbRow {
  image_id: number;
  class_index: number;
  h: number;
  w: number;
  values: Buffer;
}

function toTopMap(row: MapDbRow): TopMap {
  return { imageId: row.image_id, classIndex: row.class_index, h: row.h, w: row.w, values: blobToHeatmap(row.values) };
}

/** A metrics row as the library's readers see it (the gallery, the CSV report). */
export function toMetrics(r: Omit<MetricsDbRow, 'image_id'>): ImageMetrics {
  return {
    classIndex: r.class_index,
    borderMass: r.border_mass,
    entropy: r.entropy,
    gini: r.gini,
    peakX: r.peak_x,
    peakY: r.peak_y,
    areaAboveHalfMax: r.area_half_max,
    pointingHit: r.pointing_hit === null ? null : r.pointing_hit === 1,
    energyInBox: r.energy_in_box,
    deletionAuc: r.deletion_auc,
    insertionAuc: r.insertion_auc,
    blurDrop: r.blur_drop,
    agreement: r.agreement,
    agreementRunId: r.agreement_run_id,
    cluster: r.cluster,
    suspicion: r.suspicion,
  };
}
