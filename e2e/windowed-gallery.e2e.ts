// Issue #16, windowed queries: on a library larger than one window of ids (a synthetic library of 3,000 explained
// photos with real thumbnails, bench/synthetic-library.ts), the gallery asks for the rows it shows instead of every
// id of the filtered set, and a person still scrolls to the end, selects a range across pages, selects all and
// flags them, steps through photos across a page boundary and re-sorts. Every API request the page sends is
// recorded. Real core service, real SQLite, real Chromium.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdWindow } from '../common/query';
import { syntheticLibrary } from '../bench/synthetic-library';
import { callApi, openGallery, type OpenGallery, type RunningApp } from './harness';

const COUNT = 3000;
/** The largest id window a request may ask for here: a few pages, never the whole list. */
const MOST_IDS_PER_REQUEST = COUNT / 2;

interface QueryInput {
  datasetId: number;
  runId?: number;
  filter: Record<string, unknown>;
  sort: { key: string; descending: boolean };
  offset?: number;
  limit?: number;
  /** queryImages: how many rows the answer brings. */
  rows?: number;
}
interface Sent {
  name: 'queryImages' | 'queryImageIds';
  input: QueryInput;
}

let work: string;
let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;
/** Every queryImages / queryImageIds request the page sent, in order. */
const sent: Sent[] = [];
/** The ids of every getImages request the page sent. */
const rowRequests: number[][] = [];
/** How many ids each queryImages answer carried, with the count it said matched. */
const answers: { ids: number; count: number }[] = [];

const tile = (index: number) => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const selectedCount = async () => {
  const bar = page.getByTestId('selected-count');
  return (await bar.count()) === 0 ? 0 : Number(await bar.innerText());
};
const facetCount = async (testId: string) => {
  const option = page.locator(`[data-testid="${testId}"] [data-testid=count]`);
  return (await option.count()) === 0 ? 0 : Number(await option.innerText());
};
const imageIdAt = async (index: number) => Number(await tile(index).getAttribute('data-image-id'));
/** The synthetic library names each photo after its id. */
const fileNameOf = (id: number) => `photo_${String(id).padStart(7, '0')}.jpg`;
const blur = () => page.evaluate('document.activeElement?.blur()');

/** The list the page asked for last (dataset, run, filter, sort), without its window. */
function currentQuery(): Omit<QueryInput, 'offset' | 'limit'> {
  const last = sent.findLast((s) => s.name === 'queryImages');
  if (!last) throw new Error('The page has sent no query yet');
  const { datasetId, runId, filter, sort } = last.input;
  return { datasetId, runId, filter, sort };
}

/** The ids of the list the page shows, from `offset`, asked of the web host directly. */
async function idsOf(offset: number, limit: number): Promise<number[]> {
  return (await callApi<IdWindow>(app, 'queryImageIds', { ...currentQuery(), offset, limit })).ids;
}

/** Scrolls the grid until the tile at `index` is on screen with its photo. */
async function showIndex(index: number): Promise<void> {
  const grid = page.getByTestId('gallery');
  for (let attempt = 0; attempt < 40; attempt++) {
    if ((await tile(index).count()) > 0) {
      await tile(index).scrollIntoViewIfNeeded();
      await tile(index).waitFor();
      return;
    }
    const shown = await page
      .locator('[role=gridcell]')
      .evaluateAll((cells: { dataset: { index?: string } }[]) => cells.map((cell) => Number(cell.dataset.index)));
    // Far away: jump there in proportion; near: move by the rows between here and there.
    await grid.evaluate(
      (el: { scrollTop: number; scrollHeight: number; clientHeight: number }, [target, count, lo, hi]: number[]) => {
        if (!(hi >= lo) || target < lo - 300 || target > hi + 300) el.scrollTop = (target / count) * el.scrollHeight - el.clientHeight / 2;
        else el.scrollTop += ((target - (lo + hi) / 2) / (hi - lo + 1)) * el.clientHeight;
      },
      [index, COUNT, Math.min(...shown), Math.max(...shown)],
    );
    await page.waitForTimeout(150);
  }
  throw new Error(`The tile at ${index} never showed`);
}

beforeAll(async () => {
  // A copy of the cached synthetic library: the test writes verdicts.
  const { file } = await syntheticLibrary(COUNT);
  work = mkdtempSync(path.join(os.tmpdir(), 'sightline-windowed-e2e-'));
  const libraryFile = path.join(work, 'library.db');
  copyFileSync(file, libraryFile);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${libraryFile}-wal`);
  gallery = await openGallery({ libraryFile });
  ({ app, page } = gallery);
  page.on('request', (request) => {
    const name = new URL(request.url()).pathname.slice('/api/'.length);
    if (name === 'queryImages' || name === 'queryImageIds') sent.push({ name, input: JSON.parse(request.postData() ?? '{}') as QueryInput });
    if (name === 'getImages') rowRequests.push((JSON.parse(request.postData() ?? '{}') as { imageIds: number[] }).imageIds);
  });
  page.on('response', async (response) => {
    if (new URL(response.url()).pathname !== '/api/queryImages' || !response.ok()) return;
    const body = (await response.json()) as { ids: number[]; count: number };
    answers.push({ ids: body.ids.length, count: body.count });
  });
}, 300_000);
afterAll(async () => {
  await gallery?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`windowed gallery on ${COUNT} photos`, () => {
  it('asks for a window of ids with the facets, not for every id, and says how many match', async () => {
    await page.goto(app.host.url);
    await tile(0).waitFor();
    await expect.poll(() => page.getByTestId('result-count').innerText()).toBe(`${COUNT} of ${COUNT} photos`);
    const queries = sent.filter((s) => s.name === 'queryImages');
    expect(queries.length).toBeGreaterThan(0);
    for (const { input } of queries) {
      expect(input.offset).toBe(0);
      expect(input.limit).toBeGreaterThan(0);
      expect(input.limit).toBeLessThanOrEqual(MOST_IDS_PER_REQUEST);
    }
    await expect.poll(() => answers.length).toBeGreaterThan(0);
    for (const answer of answers) {
      expect(answer.count).toBe(COUNT);
      expect(answer.ids).toBeLessThanOrEqual(MOST_IDS_PER_REQUEST);
    }
    expect(await imageIdAt(0)).toBe((await idsOf(0, 1))[0]);
  });

  it('scrolls to the end and shows the last photo, reading only windows of ids on the way', async () => {
    const before = sent.length;
    await showIndex(COUNT - 1);
    expect(await imageIdAt(COUNT - 1)).toBe((await idsOf(COUNT - 1, 1))[0]);
    const since = sent.slice(before);
    expect(since.some((s) => s.name === 'queryImageIds')).toBe(true);
    for (const { input } of since) {
      expect(input.limit).toBeGreaterThan(0);
      expect(input.limit).toBeLessThanOrEqual(MOST_IDS_PER_REQUEST);
    }
    // Jumping to the end reads the pages there, not the whole list.
    const read = since.filter((s) => s.name === 'queryImageIds').reduce((sum, s) => sum + (s.input.limit ?? 0), 0);
    expect(read).toBeLessThan(COUNT / 2);
  });

  it('selects a shift-click range across a page boundary, and across pages never shown', async () => {
    const [from, to] = [480, 520];
    await showIndex(from);
    await tile(from).click({ modifiers: ['Control'] });
    await showIndex(to);
    await tile(to).click({ modifiers: ['Shift'] });
    await expect.poll(selectedCount).toBe(to - from + 1);
    const expected = await idsOf(to - 3, 5);
    for (let i = 0; i < 5; i++) {
      expect(await imageIdAt(to - 3 + i)).toBe(expected[i]);
      expect(await tile(to - 3 + i).getAttribute('aria-selected')).toBe(String(to - 3 + i <= to));
    }
    await page.keyboard.press('Escape');
    await expect.poll(selectedCount).toBe(0);

    // From near the top to a photo far down: the pages between were never on screen, and are read for the range.
    const [near, far] = [10, 2200];
    await showIndex(near);
    await tile(near).click({ modifiers: ['Control'] });
    await showIndex(far);
    const before = sent.length;
    await tile(far).click({ modifiers: ['Shift'] });
    await expect.poll(selectedCount).toBe(far - near + 1);
    expect(sent.slice(before).some((s) => s.name === 'queryImageIds' && (s.input.offset ?? 0) < far - 500)).toBe(true);
    expect(await tile(far).getAttribute('aria-selected')).toBe('true');
    expect(await tile(far + 1).getAttribute('aria-selected')).toBe('false');
    await page.keyboard.press('Escape');
    await expect.poll(selectedCount).toBe(0);
  });

  it('steps to the next and previous photo across a page boundary in the detail view', async () => {
    const at = 499;
    const expected = await idsOf(at - 1, 3);
    await showIndex(at);
    await tile(at).click();
    const detail = page.getByTestId('detail');
    await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${at + 1} of ${COUNT}`);
    expect(await detail.getAttribute('aria-label')).toBe(fileNameOf(expected[1]));
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${at + 2} of ${COUNT}`);
    expect(await detail.getAttribute('aria-label')).toBe(fileNameOf(expected[2]));
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${at} of ${COUNT}`);
    expect(await detail.getAttribute('aria-label')).toBe(fileNameOf(expected[0]));
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('walks the photos without a verdict in the queue, across a page boundary', async () => {
    const start = 495;
    const ids = await idsOf(start, 30);
    const rows = await callApi<{ id: number; verdict: string | null }[]>(app, 'getImages', { imageIds: ids, runId: currentQuery().runId });
    const verdicts = new Map(rows.map((row) => [row.id, row.verdict]));
    const walk = ids
      .map((id, i) => ({ id, index: start + i }))
      .filter(({ id }) => verdicts.get(id) === null)
      .slice(0, 8);
    expect(walk[0].index).toBeLessThan(500);
    expect(walk.at(-1)!.index).toBeGreaterThanOrEqual(500);

    // Focus the tile without selecting it, then start the queue there.
    await showIndex(start);
    await tile(start).click({ modifiers: ['Control'] });
    await tile(start).click({ modifiers: ['Control'] });
    await page.keyboard.press('q');
    const detail = page.getByTestId('detail');
    await detail.getByTestId('queue-mode').waitFor();
    for (const { id, index } of walk) {
      await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${index + 1} of ${COUNT}`);
      expect(await detail.getAttribute('aria-label')).toBe(fileNameOf(id));
      await page.keyboard.press('1');
    }
    await expect.poll(() => detail.getByTestId('position').innerText()).not.toBe(`${walk.at(-1)!.index + 1} of ${COUNT}`);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('selects every photo of a filter larger than a window with Ctrl+A, and a verdict lands on all of them', async () => {
    await page.getByTestId('facet-verdict-none').click();
    const unreviewed = await facetCount('facet-verdict-none');
    expect(unreviewed).toBeGreaterThan(COUNT / 2);
    await expect.poll(shownCount).toBe(unreviewed);
    const unsureBefore = await facetCount('facet-verdict-unsure');
    await blur();
    await page.keyboard.press('Control+a');
    await expect.poll(selectedCount).toBe(unreviewed);
    expect(await shownCount()).toBe(unreviewed);

    await page.keyboard.press('4');
    await expect.poll(() => facetCount('facet-verdict-unsure')).toBe(unsureBefore + unreviewed);
    expect(await facetCount('facet-verdict-none')).toBe(0);
    await expect.poll(shownCount).toBe(0);
    await page.getByTestId('no-match').waitFor();

    await page.keyboard.press('Escape');
    await page.getByTestId('clear-filters').click();
    await expect.poll(shownCount).toBe(COUNT);
  });

  it('re-sorts, then scrolls through the new order', async () => {
    await page.getByTestId('sort').selectOption('confidence');
    await expect.poll(() => currentQuery().sort.key).toBe('confidence');
    const first = (await idsOf(0, 1))[0];
    await expect.poll(() => imageIdAt(0)).toBe(first);
    const before = sent.length;
    for (const index of [1234, COUNT - 1, 777]) {
      await showIndex(index);
      expect(await imageIdAt(index)).toBe((await idsOf(index, 1))[0]);
    }
    const reads = sent.slice(before).filter((s) => s.name === 'queryImageIds');
    expect(reads.length).toBeGreaterThan(0);
    for (const { input } of reads) expect(input.sort.key).toBe('confidence');
  });

  it("draws the first screen of a new sort from the rows its query brought, asking getImages for none of them", async () => {
    await showIndex(0);
    const before = rowRequests.length;
    await page.getByTestId('sort').selectOption('suspicion');
    await expect.poll(() => currentQuery().sort.key).toBe('suspicion');
    const first = await idsOf(0, 12);
    await expect.poll(() => imageIdAt(0)).toBe(first[0]);
    await tile(0).locator('[data-testid=tile-overlay][data-drawn=true]').waitFor();
    for (let i = 0; i < first.length; i++) expect(await imageIdAt(i)).toBe(first[i]);
    // Every tile drawn (the rows on screen and the one below) came with the answer, which brought no more rows
    // than this window's first screen shows: 36 for 1440 × 900 and medium tiles, the fixed 60 of before.
    const drawn = page.locator('[data-testid=tile]');
    await drawn.last().locator('[data-testid=tile-overlay][data-drawn=true]').waitFor();
    const drawnIds = await drawn.evaluateAll((tiles) => tiles.map((t) => Number(t.getAttribute('data-image-id'))));
    expect(drawnIds.length).toBeGreaterThan(12);
    const asked = new Set(rowRequests.slice(before).flat());
    expect(drawnIds.filter((id) => asked.has(id))).toEqual([]);
    const rows = sent.filter((s) => s.name === 'queryImages').at(-1)!.input.rows;
    expect(rows).toBe(36);
    expect(rows).toBeGreaterThanOrEqual(drawnIds.length);
  });
});
