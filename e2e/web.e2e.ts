// The review flow a person does in the browser mode: import the samples, look at the heatmaps, flag one
// photo with a note, reload, export the CSV. Real core service, real model, real Chromium.
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, launchChromium, samplesDir, startApp, type RunningApp } from './harness';

const PHOTOS = 34;
const NOTE = 'Attention spills onto the background, right of the face';
let app: RunningApp;
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });

/** The part of a canvas the page function below uses (this tsconfig has no DOM types). */
interface Canvas2d {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Share of non-transparent pixels and number of distinct colours of every drawn tile overlay. */
function overlayStats(): Promise<{ coverage: number; colours: number }[]> {
  return page.getByTestId('tile-overlay').evaluateAll((canvases: Canvas2d[]) =>
    canvases.map((canvas) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      let opaque = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        opaque++;
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return { coverage: opaque / (canvas.width * canvas.height), colours: colours.size };
    }),
  );
}

beforeAll(async () => {
  app = await startApp();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', acceptDownloads: true });
  page.setDefaultTimeout(60_000);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
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
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('progress').innerText()).toContain(`${PHOTOS} / ${PHOTOS} done`);
    expect(await page.getByTestId('dataset-name').innerText()).toBe('samples');
    expect(await page.getByTestId('backend').innerText()).toMatch(/tensorflow|wasm|cpu/);
  });

  it('shows a tile per photo with top-3 labels and a drawn heatmap overlay', async () => {
    const tiles = page.getByTestId('tile');
    await expect.poll(() => tiles.count()).toBe(PHOTOS);
    expect(await page.locator('[data-testid=tile][data-status=done]').count()).toBe(PHOTOS);
    // Overlays are painted as tiles come near the viewport: scroll through the whole grid.
    for (let i = 0; i < PHOTOS; i++) {
      const tile = tiles.nth(i);
      await tile.scrollIntoViewIfNeeded();
      await tile.locator('[data-testid=tile-overlay][data-drawn=true]').waitFor();
      expect(await tile.getByTestId('top-classes').locator('li').count()).toBe(3);
    }
    const stats = await overlayStats();
    expect(stats).toHaveLength(PHOTOS);
    for (const { coverage, colours } of stats) {
      expect(coverage).toBeGreaterThan(0.99);
      expect(colours).toBeGreaterThan(20);
    }
    await page.mouse.move(1, 1); // no hovered tile in the picture
    await page.mouse.wheel(0, -100_000);
    await expect.poll(() => page.evaluate<number>('scrollY')).toBe(0);
    await shot('03-gallery');
  });

  it('opens a photo, steps with the arrow keys, and saves a verdict and a note', async () => {
    const tile = page.locator('[data-testid=tile][title^="285_egyptian_cat/"]');
    const imageId = await tile.getAttribute('data-image-id');
    await tile.click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await detail.locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
    const title = await detail.locator('h2').innerText();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => detail.locator('h2').innerText()).not.toBe(title);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => detail.locator('h2').innerText()).toBe(title);
    await page.keyboard.press('z');
    await detail.getByTestId('detail-overlay').waitFor({ state: 'detached' });
    await page.keyboard.press('z');
    await detail.getByTestId('detail-overlay').waitFor();

    await page.getByTestId('verdict-misattended').click();
    await page.getByTestId('note').fill(NOTE);
    await page.locator('[data-testid=note-status][data-state=saved]').waitFor();
    await shot('04-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    expect(await page.locator(`[data-testid=tile][data-image-id="${imageId}"] [data-testid=verdict-badge]`).innerText()).toBe('Misattended');
    await page.getByTestId('filter-flagged').click();
    expect(await page.getByTestId('tile').count()).toBe(1);
    await page.getByTestId('filter-all').click();
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcuts').waitFor({ state: 'detached' });
  });

  it('keeps the verdict and the note after a reload', async () => {
    await page.reload();
    const tile = page.locator('[data-testid=tile]', { has: page.locator('[data-verdict=misattended]') });
    await tile.waitFor();
    expect(await page.getByTestId('tile').count()).toBe(PHOTOS);
    await tile.click();
    expect(await page.getByTestId('note').inputValue()).toBe(NOTE);
    expect(await page.getByTestId('verdict-misattended').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
  });

  it('exports the review as a CSV download', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^sightline-samples.*\.csv$/);
    const file = path.join(artifactsDir, download.suggestedFilename());
    await download.saveAs(file);
    const rows = parse(readFileSync(file, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(PHOTOS);
    const flagged = rows.filter((r) => r.verdict !== '');
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
