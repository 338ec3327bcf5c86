// What a merge will do before it writes anything: the shards of each run, grouped across the given libraries,
// with the shards that are missing or did not finish, and the disagreements that make a merge meaningless
// (another number of shards, two libraries claiming one shard, shards that saw different files).
import { describeShard } from '../store/shard-owner';
import { describeRun, describeShardRun, type ShardRun, type ShardSource } from './shard-source';

export interface ShardPart {
  source: ShardSource;
  run: ShardRun;
}

export interface RunPlan {
  key: string;
  /** For messages: the folder, method and layer. */
  label: string;
  count: number;
  /** By shard index. */
  parts: Map<number, ShardPart>;
  missing: number[];
  incomplete: ShardPart[];
}

export interface MergePlan {
  runs: RunPlan[];
  /** Disagreements: nothing may be merged while there is one. */
  errors: string[];
}

/** Files named in a disagreement message, at most. */
const EXAMPLES = 3;

export function planMerge(sources: readonly ShardSource[]): MergePlan {
  const runs = new Map<string, RunPlan>();
  const errors: string[] = [];
  for (const source of sources) {
    for (const run of source.runs) {
      let plan = runs.get(run.key);
      if (!plan) {
        plan = { key: run.key, label: describeRun(run), count: run.shard.count, parts: new Map(), missing: [], incomplete: [] };
        runs.set(run.key, plan);
      }
      const other = plan.parts.get(run.shard.index);
      if (run.shard.count !== plan.count) {
        errors.push(`${source.file} holds ${describeShardRun(run)}, but other libraries hold shards of ${plan.count}: every shard of a run must use the same n`);
      } else if (other) {
        errors.push(`${source.file} and ${other.source.file} both hold ${describeShardRun(run)}: give each shard its own library`);
      } else {
        plan.parts.set(run.shard.index, { source, run });
      }
    }
  }
  for (const plan of runs.values()) {
    for (let index = 0; index < plan.count; index++) if (!plan.parts.has(index)) plan.missing.push(index);
    plan.incomplete = [...plan.parts.values()].filter((p) => !p.run.complete);
    errors.push(...disagreements([...plan.parts.values()]));
  }
  return { runs: [...runs.values()], errors };
}

/** The shards of one run must have seen the same files with the same bytes. */
function disagreements(parts: readonly ShardPart[]): string[] {
  const [first, ...others] = [...parts].sort((a, b) => a.run.shard.index - b.run.shard.index);
  if (!first) return [];
  const expected = first.source.files(first.run.datasetId);
  const errors: string[] = [];
  for (const part of others) {
    const seen = part.source.files(part.run.datasetId);
    const onlyHere = [...seen.keys()].filter((relPath) => !expected.has(relPath));
    const onlyThere = [...expected.keys()].filter((relPath) => !seen.has(relPath));
    const otherBytes = [...seen].filter(([relPath, hash]) => hash !== null && (expected.get(relPath) ?? hash) !== hash).map(([relPath]) => relPath);
    const names = `${part.source.file} (shard ${describeShard(part.run.shard)}) and ${first.source.file} (shard ${describeShard(first.run.shard)})`;
    if (onlyHere.length > 0 || onlyThere.length > 0) {
      const example = [...onlyHere, ...onlyThere].slice(0, EXAMPLES).join(', ');
      errors.push(
        `${names} saw different files in ${first.run.rootPath} (${onlyHere.length} only in the first, ${onlyThere.length} only in the second, e.g. ${example}): ` +
          'the folder changed between the shards; run them again on the same files',
      );
    }
    if (otherBytes.length > 0) {
      errors.push(`${names} read other bytes for ${otherBytes.length} files (e.g. ${otherBytes.slice(0, EXAMPLES).join(', ')}): the folder changed between the shards`);
    }
  }
  return errors;
}
