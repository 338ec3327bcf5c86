// What a folder scan finds and the library records: the scan (scan/) computes it, the store (store/) applies
// it, and the import job hands one to the other, so the types sit below both.
import type { ScanSummary } from '../../../common/types';

/** A photo's class from its folders (scan/labels.ts), as one model's classes read them. */
export interface GroundTruth {
  trueLabel: string | null;
  /** The class of that model; null where it has none for the folder. */
  trueIndex: number | null;
  /** The folder level the label came from (1 = a folder directly in the dataset's root), null without a label. */
  trueLevel: number | null;
}

/** One model's reading of a dataset's folders: the store records each file's class under `modelId`. */
export interface ModelTruth {
  modelId: number;
  truthFor: (relPath: string) => GroundTruth;
}

/** A file as the folder walk found it, with the ground truth from its folder. */
export interface ScannedFile {
  relPath: string;
  size: number;
  mtimeMs: number;
  trueLabel: string | null;
  /** The class under the scanning model (ModelTruth). */
  trueIndex: number | null;
  /** The folder level the label came from (scan/labels.ts); absent or null without a label. */
  trueLevel?: number | null;
}

/** What the library knows of a file from earlier scans. */
export interface KnownFile {
  id: number;
  size: number;
  mtimeMs: number;
  contentHash: string | null;
  removed: boolean;
}

/** How a rescan found a file: new, unchanged, same bytes with a new mtime, or new content. */
export type ScanEntry =
  | ({ kind: 'added' } & ScannedFile)
  | ({ kind: 'unchanged' | 'touched' | 'changed'; id: number } & ScannedFile);

/** A rescan's result: every file found, the ids of known files that are gone, and the counts for a person. */
export interface ScanDiff {
  entries: ScanEntry[];
  removedIds: number[];
  summary: ScanSummary;
}
