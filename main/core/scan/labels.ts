// Ground truth from folder names: `235_german_shepherd`, `n02106662` and `German Shepherd` all mean class 235.
import type { DatasetLabelSource } from '../../../common/types';
import type { GroundTruth } from '../base/scan-diff';

export interface ClassEntry {
  index: number;
  /** WordNet id when the class is a known ImageNet class. */
  wnid: string | null;
  /** Synonyms; the first is the display name. */
  names: string[];
}

export interface ImagenetClass {
  index: number;
  wnid: string;
  name: string;
  synset: string;
}

const NO_TRUTH: GroundTruth = { trueLabel: null, trueIndex: null, trueLevel: null };

/**
 * Folders that split a dataset rather than name a class (`dataset/val/<class>/…`): never ground truth, even
 * where a model happens to have a class of that name.
 */
const SPLIT_FOLDERS = new Set(['train', 'training', 'trainval', 'val', 'valid', 'validation', 'test', 'testing', 'dev', 'eval', 'evaluation', 'holdout']);

function isSplitFolder(name: string): boolean {
  return SPLIT_FOLDERS.has(name.trim().toLowerCase());
}

/** "German shepherd, German shepherd dog, alsatian" → "German shepherd". */
export function displayName(label: string): string {
  return label.split(',')[0].trim() || label;
}

/**
 * A model's class names as its registry entry keeps them (display names, the ones its runs show), each with its
 * synonyms from `labels` (the same classes as read now from the model's labels source) where the class at that index
 * still has that name there: a labels file edited since the model was added names no class the registry does not.
 */
export function storedClassLabels(stored: readonly string[], labels: readonly string[]): string[] {
  return stored.map((name, index) => (labels[index] !== undefined && displayName(labels[index]) === name ? labels[index] : name));
}

/**
 * The model's classes, with WordNet ids borrowed from the ImageNet table where the class at the same
 * index is the same class (so a 1000-class model that is not ImageNet gets no wrong ids).
 */
export function classEntries(modelLabels: readonly string[], imagenet: readonly ImagenetClass[]): ClassEntry[] {
  return modelLabels.map((label, index) => {
    const known = imagenet[index];
    const same = known && (known.synset === label || known.name === label || known.name === displayName(label));
    return {
      index,
      wnid: same ? known.wnid : null,
      names: label.split(',').map((s) => s.trim()).filter(Boolean),
    };
  });
}

const normalise = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

export class LabelMatcher {
  private readonly byName = new Map<string, ClassEntry>();
  private readonly byWnid = new Map<string, ClassEntry>();

  /** `source`: what `forFile` reads; `withSource` gives the same classes under another dataset's setting. */
  constructor(
    private readonly classes: readonly ClassEntry[],
    readonly source: DatasetLabelSource = 'auto',
  ) {
    for (const c of classes) if (c.wnid) this.byWnid.set(c.wnid, c);
    // Display names win over synonyms, then the lower index ("crane" is both 134, the bird, and 517).
    const longest = Math.max(0, ...classes.map((c) => c.names.length));
    for (let rank = 0; rank < longest; rank++) {
      for (const c of classes) {
        const name = c.names[rank];
        if (name && !this.byName.has(normalise(name))) this.byName.set(normalise(name), c);
      }
    }
  }

  withSource(source: DatasetLabelSource): LabelMatcher {
    return new LabelMatcher(this.classes, source);
  }

  /**
   * The ground truth of a file (path relative to the dataset's root) under this matcher's source. `auto`: the
   * nearest folder above the file that names a class, else none, so that `data/hard/339_sorrel/x.jpg` is a
   * sorrel and `data/bad/x.jpg` has no ground truth. An index prefix or a WordNet id anywhere above wins over a
   * nearer plain name: ImageNet's synonyms include everyday words (`281_tabby/sub/` is not a submarine). An id
   * whose own name part names another class (or none) is no id: the folder counts by its name part, as a plain
   * name (`001_goldfish` is goldfish for a model whose class 1 is dog).
   * `{ level }`: the folder at that level, whatever it names (free text keeps its name without a class).
   * Split folders (`train`, `val`, `test` …) never count; `none` gives no ground truth at all.
   */
  forFile(relPath: string): GroundTruth {
    const folders = relPath.split('/').slice(0, -1);
    if (this.source === 'none') return NO_TRUTH;
    if (this.source === 'auto') {
      const nearest = (find: (folder: string) => ClassEntry | undefined): GroundTruth | null => {
        for (let level = folders.length; level >= 1; level--) {
          const folder = folders[level - 1];
          const entry = isSplitFolder(folder) ? undefined : find(folder.trim());
          if (entry) return { trueLabel: entry.names[0], trueIndex: entry.index, trueLevel: level };
        }
        return null;
      };
      return nearest((f) => this.findById(f)) ?? nearest((f) => this.findByName(f)) ?? NO_TRUTH;
    }
    const folder = folders[this.source.level - 1];
    if (folder === undefined || isSplitFolder(folder)) return NO_TRUTH;
    return { ...this.match(folder), trueLevel: this.source.level };
  }

  /** One folder name: its class, or the name as free text without an index. */
  match(folderName: string): Omit<GroundTruth, 'trueLevel'> {
    const entry = this.find(folderName.trim());
    return entry ? { trueLabel: entry.names[0], trueIndex: entry.index } : { trueLabel: folderName, trueIndex: null };
  }

  private find(folder: string): ClassEntry | undefined {
    return this.findById(folder) ?? this.findByName(folder);
  }

  /**
   * By an index prefix (`235_german_shepherd`, `0`) or a WordNet id (`n02106662`, `n02123045_tabby`) that the rest
   * of the name, if any, agrees with: `001_goldfish` is not class 1 where class 1 is dog. A class without a name of
   * its own ("class 8": a model without labels) agrees with any name that is no other class (`008_hen`).
   */
  private findById(folder: string): ClassEntry | undefined {
    const id = splitId(folder);
    if (!id) return undefined;
    const entry = id.index !== null ? this.classes[id.index] : this.byWnid.get(id.wnid);
    const name = normalise(id.name);
    if (!entry || name === '' || entry.names.some((n) => normalise(n) === name)) return entry;
    return isUnnamed(entry) && !this.byName.has(name) ? entry : undefined;
  }

  /**
   * By a class name or synonym (`German shepherd`, `alsatian`): the whole folder name, else the name after an id
   * that findById did not take (out of range, unknown, or naming another class: `429_baseball` for 10 classes).
   */
  private findByName(folder: string): ClassEntry | undefined {
    const whole = this.byName.get(normalise(folder));
    if (whole) return whole;
    const name = splitId(folder)?.name;
    return name ? this.byName.get(normalise(name)) : undefined;
  }
}

/** A class named only by its number, as Sightline names the classes of a model without labels. */
function isUnnamed(entry: ClassEntry): boolean {
  return entry.names.length === 1 && normalise(entry.names[0]) === `class${entry.index}`;
}

/** A folder name's leading index or WordNet id and the name after it (`''` without one); null without an id. */
function splitId(folder: string): { index: number | null; wnid: string; name: string } | null {
  const index = /^(\d+)(?:[\s_.-]+|$)(.*)$/s.exec(folder);
  if (index) return { index: Number(index[1]), wnid: '', name: index[2].trim() };
  const wnid = /^(n\d{8})(?:[\s_.-]+|$)(.*)$/is.exec(folder);
  return wnid ? { index: null, wnid: wnid[1].toLowerCase(), name: wnid[2].trim() } : null;
}
