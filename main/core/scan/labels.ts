// Ground truth from folder names: `235_german_shepherd`, `n02106662` and `German Shepherd` all mean class 235.

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

export interface GroundTruth {
  trueLabel: string | null;
  trueIndex: number | null;
}

/** "German shepherd, German shepherd dog, alsatian" → "German shepherd". */
export function displayName(label: string): string {
  return label.split(',')[0].trim() || label;
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

  constructor(private readonly classes: readonly ClassEntry[]) {
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

  /** The ground truth of a file, from its first-level folder; none for files at the root. */
  forFile(relPath: string): GroundTruth {
    const parts = relPath.split('/');
    return parts.length > 1 ? this.match(parts[0]) : { trueLabel: null, trueIndex: null };
  }

  match(folderName: string): GroundTruth {
    const entry = this.find(folderName.trim());
    return entry ? { trueLabel: entry.names[0], trueIndex: entry.index } : { trueLabel: folderName, trueIndex: null };
  }

  private find(folder: string): ClassEntry | undefined {
    const indexPrefix = /^(\d+)(?:[\s_.-]|$)/.exec(folder);
    if (indexPrefix) {
      const entry = this.classes[Number(indexPrefix[1])];
      if (entry) return entry;
    }
    const wnid = /^(n\d{8})(?:[\s_.-]|$)/i.exec(folder);
    if (wnid) {
      const entry = this.byWnid.get(wnid[1].toLowerCase());
      if (entry) return entry;
    }
    return this.byName.get(normalise(folder));
  }
}
