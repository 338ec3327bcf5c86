// Content hashes: sha256 of a file's bytes, hex. Duplicates and changed files are recognised by it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streams the file, so a large one never sits in memory whole. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
