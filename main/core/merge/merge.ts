// `sightline merge shard-*.db --into library.db`: checks that the shard libraries belong together, then copies
// each shard of each run into the merged library in one transaction. A shard already merged complete is skipped,
// so merging again changes nothing and an interrupted merge resumes. A missing or unfinished shard stops the
// merge before it writes anything, unless `allowPartial`: then what is there is merged and the report says what
// is not.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { clustersOfRun } from '../analysis/run-analysis';
import { openDatabase, type Db } from '../store/database';
import { describeShard } from '../store/shard-owner';
import { Store } from '../store/store';
import { copyShard } from './copy-shard';
import { planMerge, type RunPlan } from './plan';
import { describeShardRun, ShardSource } from './shard-source';

export interface MergeOptions {
  shardFiles: readonly string[];
  into: string;
  /** Merge complete shards even when others are missing or unfinished (the report says so). */
  allowPartial?: boolean;
}

export interface MergeReport {
  /** False when something was refused or is missing: the command exits with 1. */
  ok: boolean;
  /** What was merged, skipped, missing or wrong, one line each. */
  lines: string[];
}

export function mergeShards(options: MergeOptions): MergeReport {
  const into = path.resolve(options.into);
  const sources: ShardSource[] = [];
  const lines: string[] = [];
  try {
    for (const file of new Set(options.shardFiles.map((f) => path.resolve(f)))) {
      if (sameFile(file, into)) return refused([`${file} is the library to merge into; give the shards and --into different files`]);
      try {
        sources.push(ShardSource.open(file));
      } catch (err) {
        lines.push((err as Error).message);
      }
    }
    if (lines.length > 0) return refused(lines);
    if (sources.length === 0) return refused(['No shard libraries given']);
    const plan = planMerge(sources);
    if (plan.errors.length > 0) return refused(plan.errors);
    const gaps = plan.runs.flatMap(describeGaps);
    // Shards of other runs read as gaps in each run; say why they do not combine.
    if (gaps.length > 0 && plan.runs.length > 1) gaps.push(describeRuns(plan.runs));
    if (gaps.length > 0 && !options.allowPartial) {
      return refused([...gaps, 'Nothing was merged; --allow-partial merges the shards that are there and reports the rest']);
    }
    const target = openDatabase(into);
    const merged: TargetRun[] = [];
    try {
      const conflicts = plan.runs.flatMap((run) => otherShardCount(target, run));
      if (conflicts.length > 0) return refused(conflicts);
      for (const run of plan.runs) {
        lines.push(...mergeRun(target, run));
        const found = targetRun(target, run.key);
        if (!found) continue;
        merged.push(found);
        lines.push(describeResults(target, run, found));
      }
    } finally {
      target.close();
    }
    recomputeClusters(into, merged);
    if (gaps.length > 0) lines.push(...gaps.map((gap) => `PARTIAL: ${gap}`));
    return { ok: true, lines };
  } finally {
    sources.forEach((s) => s.close());
  }
}

function refused(lines: string[]): MergeReport {
  return { ok: false, lines };
}

function describeGaps(run: RunPlan): string[] {
  return [
    ...run.missing.map((index) => `Shard ${describeShard({ index, count: run.count })} of ${run.label} is missing: none of the given libraries holds it`),
    ...run.incomplete.map(
      ({ source, run: shardRun }) =>
        `${source.file}: ${describeShardRun(shardRun)} did not finish (interrupted, failed or still running); ` +
        `run its sightline analyze --shard ${describeShard(shardRun.shard)} again to finish it`,
    ),
  ];
}

function describeRuns(runs: readonly RunPlan[]): string {
  const each = runs.map((run) => {
    const [, modelHash, , , options] = JSON.parse(run.key) as string[];
    const files = [...run.parts.values()].map((part) => path.basename(part.source.file)).join(', ');
    return `${run.label} with model ${modelHash.slice(0, 12)} and ${options} (${files})`;
  });
  return `The libraries hold shards of ${runs.length} different runs, which do not combine: ${each.join('; ')}`;
}

/** Copies the run's shards that the merged library does not hold complete yet, in shard order. */
function mergeRun(target: Db, run: RunPlan): string[] {
  const lines: string[] = [];
  const merged = mergedShards(target, run);
  for (const index of [...run.parts.keys()].sort((a, b) => a - b)) {
    const part = run.parts.get(index)!;
    if (merged.get(index)?.complete) {
      lines.push(`${part.source.file}: ${describeShardRun(part.run)} was merged before, skipped`);
      continue;
    }
    const copied = copyShard(target, part);
    lines.push(`${part.source.file}: merged ${describeShardRun(part.run)}, ${copied.images} images${part.run.complete ? '' : ' (unfinished)'}`);
  }
  return lines;
}

interface TargetRun {
  runId: number;
  datasetId: number;
}

/** The merged library's run with this key, once a shard of it was merged. */
function targetRun(target: Db, key: string): TargetRun | null {
  const [rootPath, modelHash, method, layer, options] = JSON.parse(key) as string[];
  const row = target
    .prepare(
      `SELECT r.id AS runId, r.dataset_id AS datasetId FROM runs r JOIN datasets d ON d.id = r.dataset_id JOIN models m ON m.id = r.model_id
       WHERE d.root_path = ? AND m.hash = ? AND r.method = ? AND r.layer = ? AND r.options = ?`,
    )
    .get(rootPath, modelHash, method, layer, options);
  return (row as TargetRun | undefined) ?? null;
}

/** A run merged before from another number of shards cannot take these: its files were split otherwise. */
function otherShardCount(target: Db, run: RunPlan): string[] {
  const counts = new Set([...mergedShards(target, run).values()].map((m) => m.count).filter((count) => count !== run.count));
  return [...counts].map((count) => `${target.name} holds shards of ${count} for ${run.label}, not of ${run.count}: merge these into another library`);
}

/** Shards already merged into the library for this run, by index. */
function mergedShards(target: Db, run: RunPlan): Map<number, { count: number; complete: boolean }> {
  const found = targetRun(target, run.key);
  if (!found) return new Map();
  const rows = target
    .prepare('SELECT shard_index, shard_count, complete FROM merged_shards WHERE run_id = ?')
    .all(found.runId) as { shard_index: number; shard_count: number; complete: number }[];
  return new Map(rows.map((r) => [r.shard_index, { count: r.shard_count, complete: r.complete === 1 }]));
}

/** How many of the run's images have a result (or an error) in the merged library. */
function describeResults(target: Db, run: RunPlan, { runId, datasetId }: TargetRun): string {
  const { total, done } = target
    .prepare(
      `SELECT COUNT(*) AS total, COALESCE(SUM(i.status = 'error' OR EXISTS
         (SELECT 1 FROM predictions p WHERE p.run_id = ? AND p.image_id = i.id AND p.rank = 0)), 0) AS done
       FROM images i WHERE i.dataset_id = ? AND i.removed_at IS NULL`,
    )
    .get(runId, datasetId) as { total: number; done: number };
  return `${run.label}: ${done} of ${total} images have a result${done === total ? '' : '; the others belong to shards not merged yet'}`;
}

/**
 * Each predicted class's maps are grouped over the whole run (as an import does at its end), so the groups are
 * computed again on the merged maps; the grouping is deterministic, so merging again leaves them as they were.
 */
function recomputeClusters(into: string, runs: readonly TargetRun[]): void {
  const store = new Store(into);
  try {
    for (const { runId, datasetId } of runs) clustersOfRun(store, datasetId, runId);
  } finally {
    store.close();
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}
