// The review report as CSV: RFC 4180 (quoted where needed, CRLF), UTF-8, formula injection neutralised.
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { ImageRow } from '../../../common/types';

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
  'status',
  'error',
  'duplicate_of',
] as const;

type CsvRecord = Record<(typeof CSV_COLUMNS)[number], string | number>;

export function imagesToCsv(rootPath: string, images: readonly ImageRow[]): string {
  const relPaths = new Map(images.map((image) => [image.id, image.relPath]));
  const duplicateOf = (image: ImageRow) => (image.duplicateOf ? (relPaths.get(image.duplicateOf) ?? '') : '');
  return stringify(images.map((image) => toRecord(rootPath, image, duplicateOf(image))), {
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    // A cell starting with = + - @ tab or CR gets a leading ' so spreadsheets show it as text, never run it.
    escape_formulas: true,
  });
}

/** A file name for the report of a dataset, safe on every platform. */
export function csvFileName(datasetName: string, runId: number | null): string {
  const slug = datasetName.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '') || 'dataset';
  return `sightline-${slug}${runId === null ? '' : `-run${runId}`}.csv`;
}

/** `duplicateOf`: the relative path of an earlier file with the same bytes, or ''. */
function toRecord(rootPath: string, image: ImageRow, duplicateOf: string): CsvRecord {
  const top = (rank: number) => image.top[rank];
  // Probabilities come from float32: six decimals keep them readable without losing anything useful.
  const prob = (rank: number) => (top(rank) ? Number(top(rank).prob.toFixed(6)) : '');
  return {
    path: path.join(rootPath, image.relPath),
    relative_path: image.relPath,
    true_label: image.trueLabel ?? '',
    top1_label: top(0)?.label ?? '',
    top1_prob: prob(0),
    top2_label: top(1)?.label ?? '',
    top2_prob: prob(1),
    top3_label: top(2)?.label ?? '',
    top3_prob: prob(2),
    correct: image.correct === null ? '' : String(image.correct),
    verdict: image.verdict ?? '',
    note: image.note,
    status: image.status,
    error: image.error ?? '',
    duplicate_of: duplicateOf,
  };
}
