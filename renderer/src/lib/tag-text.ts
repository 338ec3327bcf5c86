// Tags as people type them in the tag box, and an image's tags after a change, as the library keeps them.

/** The tags typed in the box: split on commas, trimmed, each once (regardless of case). */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  return text
    .split(',')
    .map((tag) => tag.trim().replace(/\s+/g, ' '))
    .filter((tag) => tag !== '' && !seen.has(tag.toLowerCase()) && seen.add(tag.toLowerCase()));
}

/** An image's tags after adding and removing these (names compare regardless of case), sorted like the library's. */
export function applyTags(current: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const removed = new Set(remove.map((t) => t.toLowerCase()));
  const kept = current.filter((t) => !removed.has(t.toLowerCase()));
  const have = new Set(kept.map((t) => t.toLowerCase()));
  return [...kept, ...add.filter((t) => !have.has(t.toLowerCase()))].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
}
