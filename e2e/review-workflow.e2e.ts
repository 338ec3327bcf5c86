// The review workflow beyond verdicts, in the browser mode: tag photos from the keyboard (one, a selection, undo,
// remove), filter by tag with counts, save a view and bring it back after a reload, and export the whole
// dataset, the current view and the flagged photos as CSV, HTML report, path list and a folder of links; every
// exported file is opened and its rows checked. Real core service, real model, real photos, real Chromium.
import { parse } from 'csv-parse/sync';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, openGallery, samplesDir, type OpenGallery, type RunningApp } from './harness';

/** Six of the sample photos, each in its class folder: a small dataset analyses in seconds. */
const CLASSES = ['001_goldfish', '008_hen', '088_macaw', '104_wallaby', '105_koala', '235_german_shepherd'];
let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;
let work: string;
let photos: string;

const tile = (index: number) => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const facetCount = async (testId: string) => {
  const option = page.locator(`[data-testid="${testId}"] [data-testid=count]`);
  return (await option.count()) === 0 ? 0 : Number(await option.innerText());
};

/** Types tags into the tag box that `t` opens and presses Enter. */
async function tagWith(text: string): Promise<void> {
  await page.keyboard.press('t');
  await page.getByTestId('tag-input').waitFor();
  await page.getByTestId('tag-input').fill(text);
  await page.keyboard.press('Enter');
  await page.getByTestId('tag-box').waitFor({ state: 'detached' });
}

/** Runs an export from the dialog and returns the downloaded file's text and name, with the toast that says where it went. */
async function exportFile(scope: 'all' | 'view' | 'flagged', format: 'csv' | 'html' | 'list') {
  await page.getByTestId('open-export').click();
  await page.getByTestId(`export-scope-${scope}`).check();
  await page.getByTestId(`export-format-${format}`).check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-go').click()]);
  const name = download.suggestedFilename();
  const file = path.join(artifactsDir, `review-${scope}-${name}`);
  await download.saveAs(file);
  await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  const toast = await page.getByTestId('toast-message').innerText();
  return { name, text: readFileSync(file, 'utf8'), toast };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'sightline-review-e2e-'));
  photos = path.join(work, 'photos');
  for (const folder of CLASSES) cpSync(path.join(samplesDir, folder), path.join(photos, folder), { recursive: true });
  mkdirSync(artifactsDir, { recursive: true });
  gallery = await openGallery({ acceptDownloads: true });
  ({ app, page } = gallery);
});
afterAll(async () => {
  await gallery?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('review workflow: tags, saved views, exports', () => {
  it('analyses a folder of six photos', async () => {
    await page.goto(app.host.url);
    await page.getByTestId('folder-path').fill(photos);
    await page.getByTestId('import-folder').click();
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    await expect.poll(() => shownCount()).toBe(CLASSES.length);
  });

  it('tags a selection and the focused photo with t, counts them in the Tags facet, undoes and removes', async () => {
    // Focus the first tile without selecting it, then select the first two from the keyboard.
    await tile(0).click({ modifiers: ['Control'] });
    await tile(0).click({ modifiers: ['Control'] });
    await page.keyboard.press('x');
    await page.keyboard.press('l');
    await page.keyboard.press('x');
    expect(await page.getByTestId('selected-count').innerText()).toBe('2');
    await tagWith('blurry, needs crop');
    await expect.poll(() => facetCount('facet-tags-blurry')).toBe(2);
    expect(await facetCount('facet-tags-needs crop')).toBe(2);

    // No selection: t tags the focused photo (the third).
    await page.keyboard.press('Escape');
    await page.keyboard.press('l');
    await tagWith('Blurry');
    await expect.poll(() => facetCount('facet-tags-blurry')).toBe(3);
    // u undoes the latest change, tags included.
    await page.keyboard.press('u');
    await expect.poll(() => facetCount('facet-tags-blurry')).toBe(2);

    // The tag box lists the photo's tags; × takes one off.
    await page.keyboard.press('h');
    await page.keyboard.press('t');
    const chips = page.getByTestId('tag-chip');
    await expect.poll(() => chips.allInnerTexts()).toEqual([expect.stringContaining('blurry'), expect.stringContaining('needs crop')]);
    await chips.filter({ hasText: 'needs crop' }).getByTestId('remove-tag').click();
    await expect.poll(() => facetCount('facet-tags-needs crop')).toBe(1);
    await page.keyboard.press('Escape');
    await page.getByTestId('tag-box').waitFor({ state: 'detached' });

    // The shortcuts list says so.
    await page.keyboard.press('?');
    expect(await page.getByTestId('shortcuts').innerText()).toMatch(/T\s+Tag the selection/);
    await page.keyboard.press('Escape');
  });

  it('filters by a tag as a facet, and flags one of those photos', async () => {
    await page.getByTestId('facet-tags-blurry').click();
    await expect.poll(() => shownCount()).toBe(2);
    // Flag the first of the two (misattended), from the keyboard.
    await tile(0).click({ modifiers: ['Control'] });
    await tile(0).click({ modifiers: ['Control'] });
    await page.keyboard.press('2');
    await expect.poll(() => facetCount('facet-verdict-misattended')).toBe(1);
  });

  it('saves the view (filters, sort, overlay), brings it back after changes and a reload, and deletes it', async () => {
    await page.getByTestId('sort').selectOption('confidence');
    await page.getByTestId('overlay-colormap').selectOption('viridis');
    await page.getByTestId('save-view').click();
    await page.getByTestId('view-name').fill('Blurry ones');
    await page.getByTestId('view-save').click();
    await page.locator('[data-testid=saved-view][data-name="Blurry ones"]').waitFor();

    await page.getByTestId('clear-filters').click();
    await page.getByTestId('sort').selectOption('fileName');
    await page.getByTestId('overlay-colormap').selectOption('jet');
    await expect.poll(() => shownCount()).toBe(CLASSES.length);

    await page.reload();
    await page.locator('[data-testid=saved-view][data-name="Blurry ones"] .apply').click();
    await expect.poll(() => shownCount()).toBe(2);
    expect(await page.getByTestId('sort').inputValue()).toBe('confidence');
    expect(await page.getByTestId('overlay-colormap').inputValue()).toBe('viridis');
    expect(await page.locator('[data-testid="facet-tags-blurry"] input').isChecked()).toBe(true);

    // A second view, for deleting.
    await page.getByTestId('save-view').click();
    await page.getByTestId('view-name').fill('Scratch');
    await page.getByTestId('view-everywhere').check();
    await page.getByTestId('view-save').click();
    const scratch = page.locator('[data-testid=saved-view][data-name="Scratch"]');
    expect(await scratch.innerText()).toContain('all');
    await scratch.getByTestId('delete-view').click();
    await scratch.waitFor({ state: 'detached' });
    expect(await page.getByTestId('saved-view').count()).toBe(1);
  });

  it('exports the current view as CSV with the tags column, and says where the file went', async () => {
    const csv = await exportFile('view', 'csv');
    expect(csv.toast).toBe(`Saved ${csv.name} to your Downloads folder`);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.tags.split('; ').includes('blurry'))).toBe(true);
    expect(rows.map((r) => r.tags).sort()).toEqual(['blurry', 'blurry; needs crop'].sort());
    expect(rows.filter((r) => r.verdict === 'misattended')).toHaveLength(1);

    const whole = await exportFile('all', 'csv');
    const all = parse(whole.text, { columns: true }) as Record<string, string>[];
    expect(all).toHaveLength(CLASSES.length);
    expect(all.filter((r) => r.tags !== '')).toHaveLength(2);
  });

  it('exports the HTML report of the current view only', async () => {
    const html = await exportFile('view', 'html');
    expect(html.name).toMatch(/\.html$/);
    expect(html.text).toContain('<p>2 images: 2 analysed, 0 failed.');
    expect(html.text).toMatch(/<h2>Flagged images \(1\)<\/h2>/);
    const whole = await exportFile('all', 'html');
    expect(whole.text).toContain(`<p>${CLASSES.length} images: ${CLASSES.length} analysed, 0 failed.`);
  });

  it('exports the flagged photos as a list of paths and as a folder of links that open them', async () => {
    const list = await exportFile('flagged', 'list');
    expect(list.name).toMatch(/\.paths\.txt$/);
    const lines = list.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(`${realpathSync(photos)}${path.sep}`)).toBe(true);
    expect(lstatSync(lines[0]).isFile()).toBe(true);

    const links = path.join(work, 'retrain');
    await page.getByTestId('open-export').click();
    await page.getByTestId('export-scope-flagged').check();
    await page.getByTestId('export-format-links').check();
    await page.getByTestId('export-dir').fill(links);
    await page.getByTestId('export-go').click();
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
    expect(await page.getByTestId('toast-message').innerText()).toBe(`Made 1 link in ${links}`);
    const [folder] = readdirSync(links);
    const [name] = readdirSync(path.join(links, folder));
    const link = path.join(links, folder, name);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(lines[0]);
    expect(readFileSync(link).equals(readFileSync(lines[0]))).toBe(true);

    // A folder inside the dataset is refused in the dialog, with the reason.
    await page.getByTestId('open-export').click();
    await page.getByTestId('export-scope-flagged').check();
    await page.getByTestId('export-format-links').check();
    await page.getByTestId('export-dir').fill(path.join(photos, 'links'));
    await page.getByTestId('export-go').click();
    expect(await page.getByTestId('export-error').innerText()).toMatch(/inside the dataset's folder/);
    await page.keyboard.press('Escape');
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
    await page.screenshot({ path: path.join(artifactsDir, 'review-workflow.png') });
  });
});
