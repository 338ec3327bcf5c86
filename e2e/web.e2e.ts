// The review flow a person does in the browser mode: import the samples, filter and sort, change the overlay,
// flag a photo with a note, look at other classes and methods, triage from the keyboard, reload, export the CSV.
// Real core service, real model, real Chromium.
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, openGallery, samplesDir, type OpenGallery, type RunningApp } from './harness';

const PHOTOS = 34;
const NOTE = 'Attention spills onto the background, right of the face';
let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });

/** The part of a canvas the page function below uses (this tsconfig has no DOM types). */
interface Canvas2d {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

interface CanvasStats {
  coverage: number;
  colours: number;
  /** Mean alpha of the painted pixels. */
  alpha: number;
  /** A cheap fingerprint of every pixel, to tell two paintings apart. */
  sum: number;
}

/** Pixel statistics of each canvas the locator matches (runs in the page). */
function canvasStats(locator: Locator): Promise<CanvasStats[]> {
  return locator.evaluateAll((canvases: Canvas2d[]) =>
    canvases.map((canvas) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      let opaque = 0;
      let alpha = 0;
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) {
        sum = (sum * 31 + data[i] * 7 + data[i + 1] * 13 + data[i + 2] * 17 + data[i + 3]) % 1_000_000_007;
        if (data[i + 3] === 0) continue;
        opaque++;
        alpha += data[i + 3];
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return { coverage: opaque / (canvas.width * canvas.height), colours: colours.size, alpha: opaque ? alpha / opaque : 0, sum };
    }),
  );
}

const firstOverlay = () => page.locator('[data-testid=tile][data-index="0"] [data-testid=tile-overlay][data-drawn=true]');
/** The first tile's overlay, or impossible values while it is being replaced. */
const firstStats = async () => (await canvasStats(firstOverlay()))[0] ?? { coverage: -1, colours: -1, alpha: -1, sum: -1 };
const facetCount = async (testId: string) => Number(await page.locator(`[data-testid="${testId}"] [data-testid=count]`).innerText());
const blur = () => page.evaluate('document.activeElement?.blur()');
/** The fingerprint of the first canvas, or `fallback` while there is none (a map being recomputed). */
const sumOr = async (locator: Locator, fallback: number) => (await canvasStats(locator))[0]?.sum ?? fallback;
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());

beforeAll(async () => {
  gallery = await openGallery({ acceptDownloads: true });
  ({ app, page } = gallery);
});
afterAll(async () => {
  await gallery?.close();
});

describe('web gallery', () => {
  it('offers the sample photos on first start and moves the token out of the address bar', async () => {
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    expect(page.url()).toBe(`${app.origin}/`);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('sightline.token')")).toBe(app.host.token);
    await shot('01-first-start');
  });

  it('analyses the 34 sample photos with a progress bar', async () => {
    await page.getByTestId('analyse-samples').click();
    await page.locator('[data-testid=progress][data-state=running]').waitFor();
    await shot('02-progress');
    // Pause and resume from the status bar, when the job is still running by then (34 photos go fast).
    const pause = page.getByTestId('pause-job');
    if (await pause.isVisible()) {
      await pause.click({ timeout: 5_000 }).catch(() => undefined);
      const paused = await page
        .locator('[data-testid=pause-job][data-paused=true]')
        .waitFor({ timeout: 5_000 })
        .then(() => true, () => false);
      if (paused) {
        // A pause asked for while the last photos are already being analysed cannot hold the job: it ends as
        // those finish, and the Resume button goes with the running state. Otherwise the job waits for Resume.
        const resumed = await page
          .locator('[data-testid=pause-job][data-paused=true]')
          .click({ timeout: 5_000 })
          .then(() => true, () => false);
        if (!resumed) expect(await page.getByTestId('progress').getAttribute('data-state')).toBe('done');
      }
    }
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('progress').innerText()).toContain(`${PHOTOS} / ${PHOTOS} done`);
    expect(await page.getByTestId('dataset-name').innerText()).toBe('samples');
    expect(await page.getByTestId('backend').innerText()).toMatch(/tensorflow|wasm|cpu/);
  });

  it('shows a virtualised grid: tiles with top-1, truth and a drawn overlay, only the visible rows in the DOM', async () => {
    await expect.poll(() => shownCount()).toBe(PHOTOS);
    await firstOverlay().waitFor();
    const inDom = await page.getByTestId('tile').count();
    expect(inDom).toBeGreaterThan(4);
    expect(inDom).toBeLessThan(PHOTOS);
    // Scroll the grid to the end: every photo comes into the DOM at some point with a drawn overlay.
    const seen = new Set<string>();
    const grid = page.getByTestId('gallery');
    for (let step = 0; step < 40 && seen.size < PHOTOS; step++) {
      await page.locator('[data-testid=tile] [data-testid=tile-overlay][data-drawn=true]').first().waitFor();
      for (const tile of await page.locator('[data-testid=tile][data-status=done]').all()) {
        if ((await tile.locator('[data-testid=tile-overlay][data-drawn=true]').count()) === 1) seen.add((await tile.getAttribute('data-image-id'))!);
      }
      await grid.evaluate((el: { scrollTop: number }) => (el.scrollTop += 300));
      await page.waitForTimeout(100);
    }
    expect(seen.size).toBe(PHOTOS);
    for (const { coverage, colours } of await canvasStats(page.getByTestId('tile-overlay'))) {
      expect(coverage).toBeGreaterThan(0.99);
      expect(colours).toBeGreaterThan(20);
    }
    expect(await page.locator('[data-testid=tile] [data-testid=top-1]').first().innerText()).toMatch(/\d+ %$/);
    await grid.evaluate((el: { scrollTop: number }) => (el.scrollTop = 0));
    await firstOverlay().waitFor();
    await page.mouse.move(1, 1);
    await shot('03-gallery');
  });

  it('filters in the sidebar with counts, searches and sorts', async () => {
    const wrong = await facetCount('facet-correctness-incorrect');
    const right = await facetCount('facet-correctness-correct');
    expect(wrong + right).toBeGreaterThan(0);
    await page.getByTestId('facet-correctness-incorrect').click();
    await expect.poll(() => shownCount()).toBe(wrong);
    // Other facets count under this filter; its own keeps its counts.
    expect(await facetCount('facet-correctness-correct')).toBe(right);
    await page.getByTestId('clear-filters').click();
    await expect.poll(() => shownCount()).toBe(PHOTOS);

    await page.getByTestId('search').fill('285_egyptian');
    await expect.poll(() => shownCount()).toBeLessThan(PHOTOS);
    for (const title of await page.locator('[data-testid=tile]').evaluateAll((els: { title: string }[]) => els.map((e) => e.title))) {
      expect(title).toMatch(/^285_egyptian_cat\//);
    }
    await page.getByTestId('search').fill('');
    await expect.poll(() => shownCount()).toBe(PHOTOS);

    // Confidence starts from the highest, whatever the direction of the sort before it.
    await page.getByTestId('sort').selectOption('confidence');
    expect(await page.getByTestId('sort-direction').getAttribute('aria-label')).toMatch(/^Descending/);
    const probs = async () =>
      (await page.locator('[data-testid=tile] [data-testid=top-1] .prob').allInnerTexts()).slice(0, 8).map((t) => parseFloat(t));
    await expect.poll(async () => (await probs())[0]).toBeGreaterThanOrEqual((await probs())[7]);
    const sorted = await probs();
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    await page.getByTestId('sort').selectOption('fileName');
    expect(await page.getByTestId('sort-direction').getAttribute('aria-label')).toMatch(/^Ascending/);

    // Suggested for review: the 10 % of the run with the highest suspicion, counted like a facet.
    const suggested = await facetCount('facet-suggested');
    expect(suggested).toBeGreaterThanOrEqual(Math.ceil(PHOTOS * 0.1));
    expect(suggested).toBeLessThan(PHOTOS / 2);
    await page.getByTestId('filter-suggested').check();
    await expect.poll(() => shownCount()).toBe(suggested);
    await page.getByTestId('filter-suggested').uncheck();
    await expect.poll(() => shownCount()).toBe(PHOTOS);

    // Sorted by suspicion, highest first: the detail view shows each photo's score.
    await page.getByTestId('sort').selectOption('suspicion');
    expect(await page.getByTestId('sort-direction').getAttribute('aria-label')).toMatch(/^Descending/);
    await page.locator('[data-testid=tile][data-index="0"]').click();
    const detail = page.getByTestId('detail');
    const scores: number[] = [];
    for (let i = 1; i <= 4; i++) {
      await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${i} of ${PHOTOS}`);
      const text = await detail.getByTestId('suspicion').innerText();
      expect(text).toMatch(/^suspicion \d\.\d\d$/);
      scores.push(parseFloat(text.slice('suspicion '.length)));
      await page.keyboard.press('ArrowRight');
    }
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(await detail.getByTestId('metric-border').innerText()).toMatch(/^\d+ %$/);
    await shot('03b-detail-suspicion');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    // File name again after suspicion: A to Z, not the Z to A that suspicion's direction would have left.
    await page.getByTestId('sort').selectOption('fileName');
    expect(await page.getByTestId('sort-direction').getAttribute('aria-label')).toMatch(/^Ascending/);

    // Heatmap groups of one predicted class: grouped on request, then a facet whose counts cover the class.
    const topClass = page.locator('[data-testid=facet-predicted] label').first();
    const classCount = Number(await topClass.getByTestId('count').innerText());
    await topClass.click();
    await expect.poll(() => shownCount()).toBe(classCount);
    // The groups may be stored already (an analysis step of the import); else the sidebar offers to make them.
    const cluster = page.getByTestId('cluster-run');
    if (await cluster.isVisible()) await cluster.click();
    await page.getByTestId('facet-group').waitFor();
    const groupCounts = (await page.locator('[data-testid=facet-group] [data-testid=count]').allInnerTexts()).map(Number);
    expect(groupCounts.reduce((a, b) => a + b, 0)).toBe(classCount);
    await page.locator('[data-testid=facet-group] label').first().click();
    await expect.poll(() => shownCount()).toBe(groupCounts[0]);
    await page.getByTestId('clear-filters').click();
    await expect.poll(() => shownCount()).toBe(PHOTOS);
  });

  it('repaints overlays from the stored maps when the overlay controls change', async () => {
    // Let the grid settle after the previous test's re-sorting and filtering: the first tile and its overlay must
    // read the same twice in a row, else `before` may belong to a tile that is being replaced.
    const firstTile = page.locator('[data-testid=tile][data-index="0"]');
    await firstOverlay().waitFor();
    const snapshot = async () => `${await firstTile.getAttribute('title')} ${(await firstStats()).sum}`;
    let last = await snapshot();
    await expect
      .poll(async () => {
        const now = await snapshot();
        const stable = now === last;
        last = now;
        return stable;
      })
      .toBe(true);
    const before = await firstStats();
    await page.getByTestId('overlay-colormap').selectOption('viridis');
    await expect.poll(async () => (await firstStats()).sum).not.toBe(before.sum);
    await page.getByTestId('overlay-colormap').selectOption('jet');
    await expect.poll(async () => (await firstStats()).sum).not.toBe(before.sum);
    await page.getByTestId('overlay-colormap').selectOption('turbo');
    await expect.poll(async () => (await firstStats()).sum).toBe(before.sum);

    await blur();
    await page.keyboard.press(']');
    await expect.poll(async () => (await firstStats()).alpha).toBeGreaterThan(before.alpha + 10);
    await page.keyboard.press('[');
    await expect.poll(async () => (await firstStats()).sum).toBe(before.sum);

    await page.getByTestId('overlay-threshold').selectOption('10');
    await expect.poll(async () => (await firstStats()).coverage).toBeLessThan(0.4);
    await page.getByTestId('overlay-threshold').selectOption('100');

    // On the dataset-wide scale every map but the strongest one paints cooler.
    const perPhoto = (await canvasStats(page.getByTestId('tile-overlay'))).map((s) => s.sum);
    await page.getByTestId('overlay-scale-dataset').click();
    expect(await page.getByTestId('legend').innerText()).toContain('dataset max');
    await expect
      .poll(async () => (await canvasStats(page.getByTestId('tile-overlay'))).filter((s, i) => s.sum !== perPhoto[i]).length)
      .toBeGreaterThanOrEqual(perPhoto.length - 1);
    await page.getByTestId('overlay-scale-image').click();

    await blur();
    await page.keyboard.press('z');
    await page.getByTestId('tile-overlay').first().waitFor({ state: 'detached' });
    await page.keyboard.press('z');
    await firstOverlay().waitFor();
    expect((await firstStats()).sum).toBe(before.sum);
  });

  it('opens a photo, steps with the arrow keys, and saves a verdict and a note', async () => {
    await page.getByTestId('search').fill('_cat/');
    await expect.poll(() => shownCount()).toBe(2);
    const tile = page.locator('[data-testid=tile][title^="285_egyptian_cat/"]').first();
    const imageId = await tile.getAttribute('data-image-id');
    await tile.click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await detail.locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
    const title = await detail.locator('h2').innerText();
    const [away, back] = (await detail.getByTestId('position').innerText()).startsWith('1 ') ? ['ArrowRight', 'ArrowLeft'] : ['ArrowLeft', 'ArrowRight'];
    await page.keyboard.press(away);
    await expect.poll(() => detail.locator('h2').innerText()).not.toBe(title);
    await page.keyboard.press(back);
    await expect.poll(() => detail.locator('h2').innerText()).toBe(title);
    await page.keyboard.press('z');
    await detail.getByTestId('detail-overlay').waitFor({ state: 'detached' });
    await page.keyboard.press('z');
    await detail.getByTestId('detail-overlay').waitFor();

    await page.getByTestId('verdict-misattended').click();
    await page.keyboard.press('n');
    await page.keyboard.type(NOTE);
    await page.locator('[data-testid=note-status][data-state=saved]').waitFor();
    expect(await page.getByTestId('note').inputValue()).toBe(NOTE);
    await shot('04-detail');
    await page.keyboard.press('Escape'); // leaves the note field
    await page.keyboard.press('Escape'); // closes the photo
    await detail.waitFor({ state: 'detached' });
    expect(await page.locator(`[data-testid=tile][data-image-id="${imageId}"] [data-testid=verdict-badge]`).innerText()).toBe('Misattended');
    await page.getByTestId('search').fill('');
    await page.getByTestId('facet-verdict-misattended').click();
    await expect.poll(() => shownCount()).toBe(1);
    await page.getByTestId('clear-filters').click();
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcuts').waitFor({ state: 'detached' });
  });

  it('shows the top 5 in the detail view and where the model looks for another class, by class and by method', async () => {
    await page.locator('[data-testid=tile][data-index="0"]').click();
    const detail = page.getByTestId('detail');
    const overlay = detail.locator('[data-testid=detail-overlay][data-drawn=true]');
    await overlay.waitFor();
    await expect.poll(() => detail.getByTestId('class-pick').count(), { timeout: 60_000 }).toBe(5);
    const top1 = (await canvasStats(overlay))[0];
    const second = detail.getByTestId('class-pick').nth(1);
    await second.click();
    expect(await second.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => sumOr(overlay, top1.sum), { timeout: 60_000 }).not.toBe(top1.sum);
    const secondMap = (await canvasStats(overlay))[0];
    await detail.getByTestId('method-select').selectOption('EigenCAM');
    await expect.poll(() => sumOr(overlay, secondMap.sum), { timeout: 60_000 }).not.toBe(secondMap.sum);
    await detail.getByTestId('method-select').selectOption('GradCAM');
    await detail.getByTestId('class-pick').first().click();
    await expect.poll(() => sumOr(overlay, 0)).toBe(top1.sum);

    // Another layer of the model: a map computed there, and the stored one again at the run's layer.
    const layerSelect = detail.getByTestId('layer-select');
    const runLayer = await layerSelect.inputValue();
    const layers = await layerSelect.locator('option').evaluateAll((options: { value: string }[]) => options.map((o) => o.value));
    const otherLayer = layers[layers.indexOf(runLayer) - 1] ?? layers.find((l) => l !== runLayer)!;
    await layerSelect.selectOption(otherLayer);
    await expect.poll(() => sumOr(overlay, top1.sum), { timeout: 60_000 }).not.toBe(top1.sum);
    await layerSelect.selectOption(runLayer);
    await expect.poll(() => sumOr(overlay, 0)).toBe(top1.sum);

    // Side by side, and a second method next to the first.
    await detail.getByTestId('view-side').click();
    await expect.poll(() => detail.getByTestId('zoom-pane').count()).toBe(2);
    await detail.getByTestId('compare-select').selectOption('method:EigenCAM');
    await detail.locator('[data-testid=compare-overlay][data-drawn=true]').waitFor({ timeout: 60_000 });

    // Zoom with the wheel, and an expected-region box dragged on the photo.
    await detail.getByTestId('compare-select').selectOption('');
    await detail.getByTestId('view-overlay').click();
    const pane = detail.getByTestId('zoom-pane');
    const box = (await pane.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await detail.getByTestId('zoom-reset').waitFor();
    await detail.getByTestId('zoom-reset').click();
    await detail.getByTestId('draw-box').click();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await detail.getByTestId('expected-box').waitFor();
    await shot('04b-detail-class');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await page.locator('[data-testid=tile][data-index="0"]').click();
    await detail.getByTestId('expected-box').waitFor();
    await detail.getByTestId('clear-box').click();
    await detail.getByTestId('expected-box').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
  });

  it('triages ten photos from the keyboard in the queue, moving focus with the arrows', async () => {
    const grid = page.getByTestId('gallery');
    await page.locator('[data-testid=tile][data-index="0"]').click({ modifiers: ['Control'] });
    await page.locator('[data-testid=tile][data-index="0"]').click({ modifiers: ['Control'] }); // focus without selecting
    const columns = Number(await grid.getAttribute('aria-colcount'));
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('l');
    await page.keyboard.press('j');
    await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.dataset.index')).toBe(String(2 + columns));
    await page.keyboard.press('k');
    await page.keyboard.press('h');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.dataset.index')).toBe('0');

    const okBefore = await facetCount('facet-verdict-ok');
    await page.keyboard.press('q');
    const detail = page.getByTestId('detail');
    await detail.getByTestId('queue-mode').waitFor();
    for (let i = 1; i <= 10; i++) {
      await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`${i} of ${PHOTOS}`);
      await page.keyboard.press('1');
    }
    await expect.poll(() => detail.getByTestId('position').innerText()).toBe(`11 of ${PHOTOS}`);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await expect.poll(() => facetCount('facet-verdict-ok')).toBe(okBefore + 10);
  });

  it('sets a verdict on a shift-selected range and undoes it', async () => {
    const ok = await facetCount('facet-verdict-ok');
    const unsure = await facetCount('facet-verdict-unsure');
    await page.locator('[data-testid=tile][data-index="1"]').click({ modifiers: ['Control'] });
    await page.locator('[data-testid=tile][data-index="5"]').click({ modifiers: ['Shift'] });
    // Which tiles, not only how many: a CI run once counted 6 here.
    const selectedTiles = () =>
      page.locator('[data-testid=tile][aria-selected=true]').evaluateAll((tiles) => tiles.map((tile) => tile.getAttribute('data-index')));
    expect(await selectedTiles()).toEqual(['1', '2', '3', '4', '5']);
    expect(await page.getByTestId('selected-count').innerText()).toBe('5');
    await page.getByTestId('bulk-unsure').click();
    await expect.poll(() => facetCount('facet-verdict-unsure')).toBe(unsure + 5);
    expect(await page.locator('[data-testid=tile][data-index="3"] [data-testid=verdict-badge]').innerText()).toBe('Unsure');
    await page.keyboard.press('Control+z');
    await expect.poll(() => facetCount('facet-verdict-unsure')).toBe(unsure);
    await expect.poll(() => facetCount('facet-verdict-ok')).toBe(ok);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('selection-bar').count()).toBe(0);
  });

  it('keeps verdicts, notes, the dataset, filters and overlay settings after a reload', async () => {
    await page.getByTestId('overlay-colormap').selectOption('viridis');
    await page.getByTestId('facet-verdict-misattended').click();
    await expect.poll(() => shownCount()).toBe(1);
    await page.reload();
    await page.locator('[data-testid=tile]', { has: page.locator('[data-verdict=misattended]') }).waitFor();
    expect(await shownCount()).toBe(1);
    expect(await page.getByTestId('overlay-colormap').inputValue()).toBe('viridis');
    expect(await page.title()).toBe('samples — Sightline');
    await page.getByTestId('tile').click();
    expect(await page.getByTestId('note').inputValue()).toBe(NOTE);
    expect(await page.getByTestId('verdict-misattended').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    await page.getByTestId('clear-filters').click();
    await page.getByTestId('overlay-colormap').selectOption('turbo');
    await expect.poll(() => shownCount()).toBe(PHOTOS);
  });

  it('exports the review as a CSV download', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^sightline-samples.*\.csv$/);
    const file = path.join(artifactsDir, download.suggestedFilename());
    await download.saveAs(file);
    const rows = parse(readFileSync(file, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(PHOTOS);
    expect(rows.filter((r) => r.verdict === 'ok')).toHaveLength(await facetCount('facet-verdict-ok'));
    const flagged = rows.filter((r) => r.note !== '');
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ verdict: 'misattended', note: NOTE });
    expect(flagged[0].relative_path).toMatch(/^285_egyptian_cat\//);
    expect(rows.every((r) => r.path.startsWith(samplesDir) && r.status === 'done')).toBe(true);
  });

  it('follows the dark colour scheme of the OS', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(18, 20, 24)');
    await page.waitForTimeout(500); // let the colour transitions finish before the picture
    await shot('05-gallery-dark');
  });
});
