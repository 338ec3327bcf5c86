// The full-size view's images (/media/image/<id>, sightline-media://image/<id>): each made once from its file
// (scaled down, upright, checked like the import's) and kept while the file is unchanged. At most a few are
// made at once, and the kept ones stay under a byte budget, least recently used first out.
import { stat } from 'node:fs/promises';
import { imageForDisplay } from './scan/decode';

/** Bytes of JPEG kept; a 2560-pixel JPEG is about 0.5–1.5 MB. */
const CACHE_BYTES = 64 * 1024 * 1024;
/** Images made at once: each decode holds a full photo's pixels. */
const CONCURRENT = 2;

export class DisplayImages {
  /** In insertion order = least recently used first. */
  private readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;
  private readonly making = new Map<string, Promise<Buffer | null>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly budgetBytes: number = CACHE_BYTES) {}

  /** The display JPEG of this file, or null when it is gone or cannot be shown. */
  async get(file: string): Promise<Buffer | null> {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    // A changed file has another size or mtime, so it is made again.
    const key = `${info.size}:${info.mtimeMs}:${file}`;
    const hit = this.kept.get(key);
    if (hit) {
      this.kept.delete(key);
      this.kept.set(key, hit);
      return hit;
    }
    let pending = this.making.get(key);
    if (!pending) {
      pending = this.make(file).finally(() => this.making.delete(key));
      this.making.set(key, pending);
      const made = await pending;
      if (made) this.keep(key, made);
      return made;
    }
    return pending;
  }

  private async make(file: string): Promise<Buffer | null> {
    // A finished decode hands its slot straight to the next in line.
    if (this.running >= CONCURRENT) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await imageForDisplay(file).catch(() => null);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private keep(key: string, jpeg: Buffer): void {
    if (jpeg.length > this.budgetBytes) return;
    this.kept.set(key, jpeg);
    this.keptBytes += jpeg.length;
    for (const [oldKey, old] of this.kept) {
      if (this.keptBytes <= this.budgetBytes) break;
      this.kept.delete(oldKey);
      this.keptBytes -= old.length;
    }
  }
}
