// Index arithmetic of the sparse id list (id-list.svelte.ts): which pages an index range covers, and how missing
// pages are grouped into as few id requests as the library allows.

/** The pages (of `pageSize` ids, the first at index 0) that hold the indices from `from` up to, not including, `to`. */
export function pagesOf(from: number, to: number, pageSize: number): number[] {
  if (to <= from) return [];
  const pages: number[] = [];
  for (let page = Math.floor(from / pageSize); page * pageSize < to; page++) pages.push(page);
  return pages;
}

/**
 * Groups page numbers into runs of consecutive pages, each at most `maxPages` long, in ascending order: one
 * request per run. Duplicates count once.
 */
export function pageRuns(pages: Iterable<number>, maxPages: number): { first: number; last: number }[] {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const runs: { first: number; last: number }[] = [];
  for (const page of sorted) {
    const run = runs.at(-1);
    if (run && page === run.last + 1 && page - run.first < maxPages) run.last = page;
    else runs.push({ first: page, last: page });
  }
  return runs;
}
