// Issue 15's gallery fixes in the browser mode, against the real service and engine: the folder dialog,
// failed and duplicate files, the engine pop-up, undo per dataset, the queue, the toolbar and detail layouts,
// a cancelled import, the overlay's pixels against a reference, and the README's screenshots.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interpolateTurbo } from 'd3-scale-chromatic';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../common/types';
import { upsampleBilinear } from '../common/upsample';
import { fitRect } from '../renderer/src/lib/heatmap';
import { artifactsDir, launchChromium, samplesDir, startApp, type RunningApp } from './harness';

const docsDir = fileURLToPath(new URL('../docs', import.meta.url));
const SAMPLES = 34;
// Six re-encodings of each sample: enough that a cancel after the first results lands well before the end.
const COPY_QUALITIES = [81, 82, 83, 84, 85, 86];
const COPIES = SAMPLES * COPY_QUALITIES.length;
const MIXED_DIRS = ['235_german_shepherd', '285_egyptian_cat', '104_wallaby'];

let app: RunningApp;
let browser: Browser;
let page: Page;
let root: string;
/** Thumbnail requests the server answered with 404. */
const missingThumbs: string[] = [];

const tile = (index: number): Locator => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const position = () => page.getByTestId('detail').getByTestId('position').innerText();
const box = async (locator: Locator) => (await locator.boundingBox())!;

/** Puts the keyboard focus on a tile without selecting it. */
async function focusTile(index: number): Promise<void> {
  await tile(index).click({ modifiers: ['Control'] });
  await tile(index).click({ modifiers: ['Control'] });
}

async function switchDataset(name: string): Promise<void> {
  const select = page.getByTestId('dataset-select');
  const value = await select.locator('option', { hasText: new RegExp(`^${name}$`) }).getAttribute('value');
  await select.selectOption(value!);
  await expect.poll(() => select.inputValue()).toBe(value);
}

/** A call to the host's API from the page, with the page's token (as the UI makes it). */
function callApi<T>(name: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([call, body]) => {
      const res = await fetch(`/api/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-sightline-token': sessionStorage.getItem('sightline.token') ?? '' },
        body: JSON.stringify(body),
      });
      return res.json();
    },
    [name, input] as const,
  ) as Promise<T>;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-fixes-'));
  // "mixed": three classes, a byte-identical copy of one photo and a file that is not a photo.
  const mixed = path.join(root, 'mixed');
  for (const dir of MIXED_DIRS) cpSync(path.join(samplesDir, dir), path.join(mixed, dir), { recursive: true });
  const shepherd = path.join(mixed, MIXED_DIRS[0]);
  const first = readdirSync(shepherd)[0];
  copyFileSync(path.join(shepherd, first), path.join(shepherd, `zz-copy-${first}`));
  writeFileSync(path.join(mixed, MIXED_DIRS[1], 'broken.jpg'), 'not a photo');
  // "copies": the samples re-encoded six times (new bytes, so nothing is shared with the samples' results),
  // imported and cancelled once the first photos are done.
  for (const dir of readdirSync(samplesDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const target = path.join(root, 'copies', dir.name);
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(path.join(samplesDir, dir.name))) {
      for (const quality of COPY_QUALITIES) {
        await sharp(path.join(samplesDir, dir.name, file)).jpeg({ quality }).toFile(path.join(target, `${path.parse(file).name}-q${quality}.jpg`));
      }
    }
  }

  app = await startApp();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page.setDefaultTimeout(60_000);
  page.on('response', (response) => {
    if (response.url().includes('/media/thumb/') && response.status() === 404) missingThumbs.push(response.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('gallery fixes (issue 15)', () => {
  it("picks a folder in the browser mode's folder dialog, with photo counts, and imports it", async () => {
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('pick-folder').count()).toBe(0);
    await page.getByTestId('browse-folders').click();
    const dialog = page.getByTestId('folder-dialog');
    await dialog.getByTestId('file-browser').waitFor();
    await dialog.getByTestId('browse-path').fill(root);
    await dialog.getByTestId('browse-go').click();
    await expect.poll(() => dialog.getByTestId('file-browser').getAttribute('data-path')).toBe(root);
    const entry = dialog.locator('[data-testid=browse-entry][data-name=mixed]');
    expect(await entry.innerText()).toContain('5 photos');
    await entry.locator('button.name').click();
    await expect.poll(() => dialog.getByTestId('file-browser').getAttribute('data-path')).toBe(path.join(root, 'mixed'));
    await dialog.getByTestId('browse-up').click();
    await expect.poll(() => dialog.getByTestId('file-browser').getAttribute('data-path')).toBe(root);
    await entry.locator('button.name').click();
    await expect.poll(() => dialog.getByTestId('file-browser').getAttribute('data-path')).toBe(path.join(root, 'mixed'));
    await dialog.getByTestId('browse-pick-folder').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('dataset-name').innerText()).toBe('mixed');
    await expect.poll(() => shownCount()).toBe(5);
  });

  it('shows a failed file without asking for its thumbnail, a duplicate with a badge, and one photo count', async () => {
    const failed = page.locator('[data-testid=tile][data-status=error]');
    await failed.waitFor();
    expect(await failed.getByTestId('photo-failed').innerText()).toBe('Photo could not be read');
    expect(await failed.locator('img').count()).toBe(0);
    await page.locator('[data-testid=tile][data-status=done] img').first().waitFor();
    await page.reload();
    await page.locator('[data-testid=tile][data-status=done] img').first().waitFor();
    expect(missingThumbs).toEqual([]);
    expect(await page.getByTestId('duplicate-badge').count()).toBe(1);
    expect(await page.locator('[data-testid=tile][title^="235_german_shepherd/zz-copy-"] [data-testid=duplicate-badge]').count()).toBe(1);
    expect(await page.getByTestId('run-meta').innerText()).toMatch(/^5 photos/);
    expect(await page.getByTestId('result-count').innerText()).toBe('5 of 5 photos');
  });

  it('gives a broken file no dangling caption in the detail view', async () => {
    await page.locator('[data-testid=tile][data-status=error]').click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await detail.getByTestId('photo-failed').waitFor();
    expect(await detail.locator('.caption').count()).toBe(0);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('closes the engine pop-up with Escape and with a click outside it', async () => {
    const details = page.getByTestId('backend');
    const isOpen = () => details.evaluate((element) => (element as unknown as { open: boolean }).open);
    await details.locator('summary').click();
    expect(await isOpen()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await isOpen()).toBe(false);
    await details.locator('summary').click();
    expect(await isOpen()).toBe(true);
    const grid = await box(page.getByTestId('gallery'));
    await page.mouse.click(grid.x + grid.width - 20, grid.y + grid.height - 20);
    expect(await isOpen()).toBe(false);
  });

  it('names the engine in the header while the dataset list is still on its way', async () => {
    // A large library opened without its saved columns answers the list only after reading them (seconds): the
    // header says which engine runs meanwhile instead of "engine starting…".
    await expect.poll(() => page.getByTestId('backend-summary').innerText()).not.toBe('engine starting…');
    const engine = await page.getByTestId('backend-summary').innerText();
    const held: (() => void)[] = [];
    await page.route('**/api/listDatasets', async (route) => {
      await new Promise<void>((resolve) => held.push(resolve));
      await route.continue().catch(() => undefined);
    });
    try {
      await page.reload();
      await expect.poll(() => held.length).toBe(1);
      await expect.poll(() => page.getByTestId('backend-summary').innerText()).toBe(engine);
      expect(await page.getByTestId('tile').count()).toBe(0);
      for (const resolve of held.splice(0)) resolve();
      await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor();
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      for (const resolve of held.splice(0)) resolve();
    }
  });

  it('shows the photos of an early answer at once and the filters once counted, then lists the datasets again', async () => {
    // The server answers `early` while it reads a large dataset's columns (a library opened without its saved
    // columns): here the real answers are turned into early ones, and the follow-up query is held.
    const queries: { early?: boolean }[] = [];
    const held: (() => void)[] = [];
    let lists = 0;
    await page.route('**/api/queryImages', async (route) => {
      const input = route.request().postDataJSON() as { early?: boolean };
      queries.push(input);
      if (queries.length > 1) await new Promise<void>((resolve) => held.push(resolve));
      const response = await route.fetch();
      const answer = await response.json();
      if (queries.length === 1) {
        const empty = { predicted: [], truth: [], correctness: [], verdicts: [], suggested: 0, groups: [], tags: [], failed: 0, confidence: [] };
        await route.fulfill({ response, json: { ...answer, facets: empty, suggestedThreshold: null, pending: true } });
      } else await route.fulfill({ response, json: answer });
    });
    await page.route('**/api/listDatasets', async (route) => {
      lists++;
      const response = await route.fetch();
      const list = (await response.json()) as { doneCount: number }[];
      await route.fulfill({ response, json: lists === 1 ? list.map((d) => ({ ...d, doneCount: 0, labelLevels: [], countsPending: true })) : list });
    });
    try {
      await page.reload();
      await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor();
      await page.getByTestId('facets-counting').waitFor();
      // The list's label levels are not counted yet either: nothing is said about them until they are.
      expect(await page.getByTestId('label-origin').innerText()).toBe('Counting where the labels come from…');
      expect(queries[0].early).toBe(true);
      await expect.poll(() => queries.length).toBe(2);
      expect(queries[1].early).toBeUndefined();
      expect(lists).toBe(1);
      for (const resolve of held.splice(0)) resolve();
      await page.getByTestId('facets-counting').waitFor({ state: 'detached' });
      expect(Number(await page.getByTestId('facet-correctness').getByTestId('count').first().innerText())).toBeGreaterThan(0);
      await expect.poll(() => lists).toBe(2);
      await expect.poll(() => page.getByTestId('label-origin').innerText()).toMatch(/^Level \d+: \d+ photos/);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      for (const resolve of held.splice(0)) resolve();
    }
  });

  it('keeps undo to the dataset the verdict was given in', async () => {
    await focusTile(0);
    await page.keyboard.press('2');
    await tile(0).locator('[data-testid=verdict-badge][data-verdict=misattended]').waitFor();
    await page.getByTestId('open-import').click();
    await page.getByTestId('analyse-samples').click();
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    await expect.poll(() => shownCount()).toBe(SAMPLES);
    // Nothing was done in this dataset: u and Ctrl+Z have nothing to undo here.
    expect(await page.getByTestId('undo').count()).toBe(0);
    await page.keyboard.press('u');
    await page.keyboard.press('Control+z');
    await switchDataset('mixed');
    await tile(0).waitFor();
    await page.waitForTimeout(500);
    expect(await tile(0).locator('[data-testid=verdict-badge]').getAttribute('data-verdict')).toBe('misattended');
    // Back in its dataset the verdict can be undone.
    await page.getByTestId('undo').click();
    await expect.poll(() => tile(0).locator('[data-testid=verdict-badge]').count()).toBe(0);
    await switchDataset('samples');
  });

  it('walks only the photos without a verdict in the queue, and its end banner stays with its dataset', async () => {
    await focusTile(1);
    await page.keyboard.press('2');
    await tile(1).locator('[data-testid=verdict-badge][data-verdict=misattended]').waitFor();
    await focusTile(0);
    await page.keyboard.press('q');
    const detail = page.getByTestId('detail');
    await detail.getByTestId('queue-mode').waitFor();
    await expect.poll(position).toBe(`1 of ${SAMPLES}`);
    await page.keyboard.press('1');
    // The second photo has a verdict already: the queue skips it, so 1 cannot overwrite Misattended.
    await expect.poll(position).toBe(`3 of ${SAMPLES}`);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    expect(await tile(1).locator('[data-testid=verdict-badge]').getAttribute('data-verdict')).toBe('misattended');

    await page.getByTestId('search').fill('_cat/');
    await expect.poll(() => shownCount()).toBe(2);
    await focusTile(0);
    await page.keyboard.press('q');
    await detail.getByTestId('queue-mode').waitFor();
    await expect.poll(position).toBe('1 of 2');
    await page.keyboard.press('1');
    await expect.poll(position).toBe('2 of 2');
    await page.keyboard.press('1');
    await detail.waitFor({ state: 'detached' }).catch(() => page.screenshot({ path: path.join(artifactsDir, 'gallery-fixes-queue-end.png') }));
    await page.getByTestId('queue-done').waitFor();
    await switchDataset('mixed');
    await tile(0).waitFor();
    expect(await page.getByTestId('queue-done').count()).toBe(0);
    await switchDataset('samples');
    await page.getByTestId('search').fill('');
    await expect.poll(() => shownCount()).toBe(SAMPLES);
  });

  it("leaves the keyboard in the search field when a dataset's photos arrive after a switch", async () => {
    // The keyboard moved in the grid before (the grid then gives a tile the DOM focus on each keyboard move).
    await focusTile(0);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate<string | null>("document.activeElement?.getAttribute('data-index') ?? null")).toBe('1');
    // The answers take a while, as on a large library: the person starts typing while the grid says "Loading…".
    await page.route('**/api/queryImages', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Unrouted meanwhile: the request went on without this handler.
      await route.continue().catch(() => undefined);
    });
    try {
      await switchDataset('mixed');
      const search = page.getByTestId('search');
      await search.click();
      await page.keyboard.type('ca');
      await tile(0).waitFor();
      await page.waitForTimeout(200);
      // The photos arriving took no keys away from the field: had a tile taken the focus, 't' would go to the grid.
      await page.keyboard.type('t');
      expect(await search.inputValue()).toBe('cat');
      expect(await page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null")).toBe('search');
    } finally {
      await page.unroute('**/api/queryImages');
      await page.getByTestId('search').fill('');
      await switchDataset('samples');
    }
    await expect.poll(() => shownCount()).toBe(SAMPLES);
  });

  it('keeps the toolbar as it was when photos are selected, so the grid does not move', async () => {
    const toolbar = page.getByTestId('result-count').locator('xpath=..');
    const before = await box(toolbar);
    const gridBefore = await box(page.getByTestId('gallery'));
    await tile(2).click({ modifiers: ['Control'] });
    await tile(5).click({ modifiers: ['Shift'] });
    expect(await page.getByTestId('selected-count').innerText()).toBe('4');
    const after = await box(toolbar);
    expect(after.height).toBe(before.height);
    const grid = await box(page.getByTestId('gallery'));
    expect(grid.y).toBe(gridBefore.y);
    // The selection's bar sits in the overlay controls' place, between the toolbar and the grid.
    const start = await box(page.getByTestId('start-queue'));
    expect(start.y + start.height).toBeLessThanOrEqual(after.y + after.height);
    for (const id of ['bulk-ok', 'bulk-misattended', 'bulk-label-error', 'bulk-unsure', 'selection-clear']) {
      const button = await box(page.getByTestId(id));
      expect(button.y, id).toBeGreaterThanOrEqual(after.y + after.height);
      expect(button.y + button.height, id).toBeLessThanOrEqual(grid.y);
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('selection-bar').waitFor({ state: 'detached' });
  });

  it("shows a tile's top-3 classes on hover", async () => {
    const opacity = (index: number) =>
      tile(index).getByTestId('tile-top3').evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } }).getComputedStyle(element).opacity);
    await tile(3).hover();
    await expect.poll(() => opacity(3)).toBe('1');
    // Only the tile under the pointer (or with the grid's focus) has the list in the DOM.
    expect(await tile(4).getByTestId('tile-top3').count()).toBe(0);
    const rows = await tile(3).getByTestId('tile-top3').locator('li').allInnerTexts();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/^\S.*\s\d+(\.\d)? %$/s);
  });

  it('lays the detail view out for 1440 × 900: the note in view, the attention header on one line', async () => {
    await tile(0).click();
    const detail = page.getByTestId('detail');
    await detail.locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
    await detail.getByTestId('metrics').waitFor();
    const note = await box(detail.getByTestId('note'));
    expect(note.y + note.height).toBeLessThanOrEqual(900);
    const header = detail.getByTestId('metrics').locator('h3');
    // One line: no taller than the suspicion score alone.
    const score = await box(header.getByTestId('suspicion'));
    expect((await box(header)).height).toBeLessThan(score.height * 1.5);
    expect(await header.innerText()).not.toMatch(/·/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(docsDir, 'screenshot-detail.png') });
  });

  it("draws the detail view's overlay as the reference upsampling of the stored map, through turbo", async () => {
    const imageId = Number(await tile(0).getAttribute('data-image-id'));
    const image = await callApi<ImageRow>('getImage', { imageId });
    const map = image.heatmap!;
    const canvas = page.getByTestId('detail').locator('[data-testid=detail-overlay][data-drawn=true]');
    // The pixels come over as base64: a plain array of millions of numbers takes a minute to serialise.
    const drawn = await canvas.evaluate((element) => {
      const c = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let binary = '';
      for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return { width: c.width, height: c.height, base64: btoa(binary) };
    });
    const { width, height } = drawn;
    const pixels = Buffer.from(drawn.base64, 'base64');
    const values = upsampleBilinear(map, width, height, fitRect(width, height, image.width, image.height, 'contain'));
    let painted = 0;
    let error = 0;
    let misplaced = 0;
    for (let p = 0; p < values.length; p++) {
      const inside = !Number.isNaN(values[p]);
      if (inside !== pixels[p * 4 + 3] > 0) misplaced++;
      if (!inside) continue;
      painted++;
      const [r, g, b] = (interpolateTurbo(Math.min(Math.max(values[p] / map.scale, 0), 1)).match(/\d+/g) ?? []).map(Number);
      error += Math.abs(pixels[p * 4] - r) + Math.abs(pixels[p * 4 + 1] - g) + Math.abs(pixels[p * 4 + 2] - b);
    }
    expect(painted).toBeGreaterThan(width * height * 0.3);
    // Edge pixels of a letterboxed photo may round either way.
    expect(misplaced).toBeLessThan(2 * (width + height));
    // The colour table has 256 steps: about one level per channel.
    expect(error / (painted * 3)).toBeLessThan(1.5);
    await page.getByTestId('detail-close').click();
    await page.getByTestId('detail').waitFor({ state: 'detached' });
  });

  it('says "Not analysed", not "Analysing…", on the photos a cancelled import left', async () => {
    await page.getByTestId('open-import').click();
    await page.getByTestId('folder-path').fill(path.join(root, 'copies'));
    await page.getByTestId('import-folder').click();
    await page.locator('[data-testid=progress][data-state=running]').waitFor();
    await expect.poll(async () => Number(await page.getByTestId('progress-done').innerText()), { interval: 50, timeout: 120_000 }).toBeGreaterThan(0);
    await page.getByTestId('cancel-job').click();
    await page.locator('[data-testid=progress][data-state=cancelled]').waitFor();
    const done = Number(await page.getByTestId('progress-done').innerText());
    expect(done).toBeLessThan(COPIES);
    // On a quiet machine more than a screenful is done before the cancel lands, and the photos it left sit at one
    // end of the grid, whichever the sort: look at both ends.
    const grid = page.getByTestId('gallery');
    const leftAtAnEnd = async () => {
      for (const end of ['top', 'bottom'] as const) {
        await grid.evaluate((element, to) => element.scrollTo({ top: to === 'top' ? 0 : element.scrollHeight }), end);
        await page.waitForTimeout(100);
        const count = await page.getByTestId('tile-status').count();
        if (count > 0) return count;
      }
      return 0;
    };
    await expect.poll(leftAtAnEnd).toBeGreaterThan(0);
    await expect.poll(() => grid.innerText()).not.toMatch(/Analysing…|Waiting for analysis…/);
    expect(await page.getByTestId('tile-status').first().innerText()).toBe('Not analysed');
  });

  it('sets where the ground truth comes from (auto, a folder level, none) and shows where it came from', async () => {
    await switchDataset('samples');
    await expect.poll(() => shownCount()).toBe(SAMPLES);
    const origin = page.getByTestId('label-origin');
    await origin.scrollIntoViewIfNeeded();
    expect(await page.getByTestId('label-source').inputValue()).toBe('auto');
    expect(await origin.innerText()).toMatch(new RegExp(`^Level 1: ${SAMPLES} photos, e\\.g\\. \\d{3}_`));
    await expect.poll(() => page.locator('[data-testid=tile] [data-testid=true-label]').count()).toBeGreaterThan(0);
    await page.getByTestId('label-source').selectOption('none');
    await expect.poll(() => origin.innerText()).toBe('No photo has a true label.');
    await expect.poll(() => page.locator('[data-testid=tile] [data-testid=true-label]').count()).toBe(0);
    // Level 1 takes the folder whatever its name: every photo is labelled again, and says so.
    await page.getByTestId('label-source').selectOption('level:1');
    await expect.poll(() => origin.innerText()).toMatch(new RegExp(`^Level 1: ${SAMPLES} photos`));
    await page.getByTestId('label-source').selectOption('auto');
    await expect.poll(() => origin.innerText()).toMatch(new RegExp(`^Level 1: ${SAMPLES} photos`));
    await expect.poll(() => page.locator('[data-testid=tile] [data-testid=true-label]').count()).toBeGreaterThan(0);
  });

  it('takes the README screenshots of the gallery and the HTML report', async () => {
    await switchDataset('samples');
    await expect.poll(() => shownCount()).toBe(SAMPLES);
    await page.locator('[data-testid=tile][data-index="0"] [data-testid=tile-overlay][data-drawn=true]').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(docsDir, 'screenshot-gallery.png') });

    const datasets = await callApi<{ id: number; name: string; runId: number | null }[]>('listDatasets', {});
    const samples = datasets.find((d) => d.name === 'samples')!;
    const report = await callApi<{ html: string }>('exportHtml', { datasetId: samples.id });
    mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, 'gallery-fixes-report.html');
    writeFileSync(file, report.html);
    const reportPage = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme: 'light' });
    await reportPage.goto(`file://${file}`);
    await reportPage.locator('section#flagged img').first().waitFor();
    await reportPage.evaluate("document.querySelector('section#flagged').scrollIntoView()");
    await reportPage.screenshot({ path: path.join(docsDir, 'screenshot-report.png') });
    await reportPage.close();
  });

  it('renames a dataset and removes it from the library, leaving its photos on disk', async () => {
    await switchDataset('copies');
    const copies = path.join(root, 'copies');
    const files = readdirSync(copies, { recursive: true }).length;
    const menu = page.getByTestId('dataset-menu');
    await menu.locator('summary').click();
    await page.getByTestId('dataset-rename').fill('Re-encoded copies');
    await page.getByTestId('dataset-rename-save').click();
    const select = page.getByTestId('dataset-select');
    await expect.poll(() => select.locator('option:checked').innerText()).toBe('Re-encoded copies');

    await menu.locator('summary').click();
    await page.getByTestId('dataset-remove').click();
    expect(await page.getByTestId('dataset-remove-warning').innerText()).toContain(copies);
    await page.getByTestId('dataset-remove-confirm').click();
    await expect.poll(() => select.locator('option').allInnerTexts()).toEqual(['mixed', 'samples']);
    await expect.poll(() => select.locator('option:checked').innerText()).toBe('samples');
    await expect.poll(() => shownCount()).toBe(SAMPLES);
    expect(readdirSync(copies, { recursive: true })).toHaveLength(files);
  });

  it("paints the first screen without the detail view's and the Models view's code, and says so when one cannot load", async () => {
    // The detail view's file is held until released, the Models view's never comes.
    const held: (() => void)[] = [];
    let detailRequests = 0;
    await page.route('**/assets/DetailView-*.js', async (route) => {
      detailRequests++;
      await new Promise<void>((resolve) => held.push(resolve));
      await route.continue().catch(() => undefined); // unrouted meanwhile: the request went on without this handler
    });
    await page.route('**/assets/ModelsDialog-*.js', (route) => route.abort());
    try {
      await page.reload();
      await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor();
      expect(await page.getByTestId('error').allInnerTexts()).toEqual([]); // the Models view's fetch ahead failed quietly
      // Fetched while the page is idle, before anyone asks for it.
      await expect.poll(() => detailRequests).toBe(1);
      await tile(1).click();
      await page.waitForTimeout(300);
      expect(await page.getByTestId('detail').count()).toBe(0);
      for (const resolve of held.splice(0)) resolve();
      await page.getByTestId('detail').waitFor();
      expect(await position()).toMatch(/^2 of \d+$/);
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => position()).toMatch(/^3 of \d+$/);
      await page.keyboard.press('Escape');
      await page.getByTestId('detail').waitFor({ state: 'detached' });

      // The Models view's file does not come: the page says so instead of opening nothing, and stays usable.
      await page.getByTestId('open-models').click();
      await expect.poll(() => page.getByTestId('error').innerText()).toMatch(/Part of the page did not load \(.+ModelsDialog.+\)\. Reload the page to try again\./);
      expect(await page.getByTestId('models').count()).toBe(0);
      await tile(0).click();
      await page.getByTestId('detail').waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('detail').waitFor({ state: 'detached' });
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      for (const resolve of held.splice(0)) resolve();
    }
    // Reloaded as the message says, the Models view opens.
    await page.reload();
    await page.getByTestId('open-models').click();
    await page.getByTestId('models').waitFor();
    await page.getByTestId('models-close').click();
    await page.getByTestId('models').waitFor({ state: 'detached' });
  });
});
