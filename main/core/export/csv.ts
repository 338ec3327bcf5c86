// The review report as CSV: RFC 4180 (quoted where needed, CRLF), UTF-8 with an optional BOM for Excel,
// formula injection neutralised, and streamed: rows go from SQLite through csv-stringify to the destination
// one at a time, so 100,000 images export in seconds with flat memory.
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { ExportRow } from '../store/export-rows';

export const CSV_COLUMNS = [
  'path',
  'relative_path',
  'true_label',
  'top1_label',
  'top1_prob',
  'top2_label',
  'top2_prob',
  'top3_label',
  'top3_prob',
  'correct',
  'verdict',
  'note',
  'tags',
  'status',
  'error',
  'duplicate_of',
  'expected_box_x',
  'expected_box_y',
  'expected_box_w',
  'expected_box_h',
  'metric_class',
  'border_mass',
  'entropy',
  'gini',
  'peak_x',
  'peak_y',
  'area_above_half_max',
  'pointing_hit',
  'energy_in_box',
  'deletion_auc',
  'insertion_auc',
  'blur_drop',
  'agreement',
  'agreement_run',
  'cluster',
  'suspicion',
  'run_id',
  'model_hash',
  'method',
  'layer',
] as const;

type CsvRecord = Record<(typeof CSV_COLUMNS)[number], string | number>;

export interface CsvOptions {
  /** A UTF-8 byte-order mark first, so that Excel reads the file as UTF-8. */
  bom?: boolean;
}

/** Writes the report to `out` (a file or response stream) and resolves with the number of rows once it is flushed. */
export async function writeCsv(rootPath: string, rows: Iterable<ExportRow>, out: Writable, options: CsvOptions = {}): Promise<number> {
  let count = 0;
  const records = Readable.from(
    (function* () {
      for (const row of rows) {
        count++;
        yield toRecord(rootPath, row);
      }
    })(),
  );
  await pipeline(
    records,
    stringify({
      header: true,
      columns: [...CSV_COLUMNS],
      record_delimiter: 'windows',
      bom: options.bom ?? false,
      // A cell starting with = + - @ tab or CR gets a leading ' so spreadsheets show it as text, never run it
      // (numbers keep their minus sign).
      escape_formulas: true,
    }),
    out,
  );
  return count;
}

/** The whole report as one string, for the UI's download. */
export async function csvString(rootPath: string, rows: Iterable<ExportRow>, options: CsvOptions = {}): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  await writeCsv(rootPath, rows, sink, options);
  return Buffer.concat(chunks).toString('utf8');
}

/** A file name for the report of a dataset, safe on every platform. */
export function csvFileName(datasetName: string, runId: number | null, extension = 'csv'): string {
  const slug = datasetName.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '') || 'dataset';
  return `sightline-${slug}${runId === null ? '' : `-run${runId}`}.${extension}`;
}

// Probabilities and metrics come from float32: six decimals keep them readable without losing anything useful.
const num = (v: number | null | undefined): number | '' => (v === null || v === undefined ? '' : Number(v.toFixed(6)));

function toRecord(rootPath: string, row: ExportRow): CsvRecord {
  const top = (rank: number) => row.top[rank];
  const m = row.metrics;
  return {
    path: path.join(rootPath, row.relPath),
    relative_path: row.relPath,
    true_label: row.trueLabel ?? '',
    top1_label: top(0)?.label ?? '',
    top1_prob: num(top(0)?.prob),
    top2_label: top(1)?.label ?? '',
    top2_prob: num(top(1)?.prob),
    top3_label: top(2)?.label ?? '',
    top3_prob: num(top(2)?.prob),
    correct: row.trueIndex === null || !top(0) ? '' : String(top(0).index === row.trueIndex),
    verdict: row.verdict ?? '',
    note: row.note,
    tags: row.tags.join('; '),
    status: row.status,
    error: row.error ?? '',
    duplicate_of: row.duplicateOf ?? '',
    expected_box_x: num(row.box?.x),
    expected_box_y: num(row.box?.y),
    expected_box_w: num(row.box?.w),
    expected_box_h: num(row.box?.h),
    metric_class: m?.classIndex ?? '',
    border_mass: num(m?.borderMass),
    entropy: num(m?.entropy),
    gini: num(m?.gini),
    peak_x: num(m?.peakX),
    peak_y: num(m?.peakY),
    area_above_half_max: num(m?.areaAboveHalfMax),
    pointing_hit: m?.pointingHit === null || m?.pointingHit === undefined ? '' : String(m.pointingHit),
    energy_in_box: num(m?.energyInBox),
    deletion_auc: num(m?.deletionAuc),
    insertion_auc: num(m?.insertionAuc),
    blur_drop: num(m?.blurDrop),
    agreement: num(m?.agreement),
    agreement_run: m?.agreementRunId ?? '',
    cluster: m?.cluster ?? '',
    suspicion: num(m?.suspicion),
    run_id: row.run?.id ?? '',
    model_hash: row.run?.modelHash ?? '',
    method: row.run?.method ?? '',
    layer: row.run?.layer ?? '',
  };
}
