// Issue 15's review features in the browser mode, against the real service and engine: the failed-files
// filter, the suspicion on tiles, the confidence histogram's number boxes and the tile size control.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGallery, samplesDir, type OpenGallery } from './harness';

const CLASS_DIRS = ['235_german_shepherd', '285_egyptian_cat', '104_wallaby'];

let gallery: OpenGallery;
let page: Page;
let root: string;

const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const tiles = () => page.locator('[data-testid=tile]');
const tileWidth = async () => (await tiles().first().boundingBox())!.width;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-review-features-'));
  for (const dir of CLASS_DIRS) cpSync(path.join(samplesDir, dir), path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, CLASS_DIRS[1], 'broken.jpg'), 'not a photo');
  gallery = await openGallery();
  page = gallery.page;
});

afterAll(async () => {
  await gallery?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('review features (issue 15)', () => {
  it('imports a folder with one broken file', async () => {
    await page.goto(gallery.app.host.url);
    await page.getByTestId('folder-path').fill(root);
    await page.getByTestId('import-folder').click();
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    await page.locator('[data-testid=tile][data-status=error]').waitFor();
  });

  it('keeps only the broken file with the failed filter, and counts it', async () => {
    const total = await shownCount();
    const failed = page.getByTestId('facet-failed');
    expect(await failed.getByTestId('count').innerText()).toBe('1');
    await page.getByTestId('filter-failed').check();
    await expect.poll(shownCount).toBe(1);
    expect(await tiles().count()).toBe(1);
    expect(await tiles().first().getAttribute('data-status')).toBe('error');
    expect(await tiles().first().getAttribute('title')).toBe(`${CLASS_DIRS[1]}/broken.jpg`);
    await page.getByTestId('filter-failed').uncheck();
    await expect.poll(shownCount).toBe(total);
  });

  it('shows the stored suspicion score on an analysed tile', async () => {
    const analysed = page.locator('[data-testid=tile][data-status=done]').first();
    expect(await analysed.getByTestId('tile-suspicion').innerText()).toMatch(/^⚑ \d+\.\d\d$/);
  });

  it('narrows the list to confident photos when 50 is typed in the lowest confidence box', async () => {
    const before = await shownCount();
    expect(await page.getByTestId('confidence-histogram').locator('.bar').count()).toBe(20);
    await page.getByTestId('confidence-min').fill('50');
    await page.getByTestId('confidence-min').press('Enter');
    // The broken file has no confidence at all, so at least it leaves the list.
    await expect.poll(shownCount).toBeLessThan(before);
    const probs = await page.locator('[data-testid=tile] [data-testid=top-1] .prob').allInnerTexts();
    expect(probs.length).toBeGreaterThan(0);
    for (const prob of probs) expect(parseFloat(prob)).toBeGreaterThanOrEqual(50);
    await page.getByTestId('clear-filters').click();
    await expect.poll(shownCount).toBe(before);
    expect(await page.getByTestId('confidence-min').inputValue()).toBe('0');
  });

  it('changes the tile width with the tile size control and remembers it', async () => {
    expect(await page.getByTestId('tile-size').inputValue()).toBe('medium');
    const medium = await tileWidth();
    await page.getByTestId('tile-size').selectOption('large');
    await expect.poll(tileWidth).toBeGreaterThan(medium);
    await page.getByTestId('tile-size').selectOption('small');
    await expect.poll(tileWidth).toBeLessThan(medium);
    await page.reload();
    await tiles().first().waitFor();
    expect(await page.getByTestId('tile-size').inputValue()).toBe('small');
    expect(await tileWidth()).toBeLessThan(medium);
  });
});
