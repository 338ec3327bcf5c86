// A QA pass's findings in the browser mode, each checked as the tester met it: typing a saved view's name ran the
// gallery's shortcuts, the selection's verdict buttons were cut off, the layout broke at 900 × 600, the detail
// view's controls disagreed, the sort kept the last key's direction, exports shared one file name, the folder
// picker's path, empty-folder text and recents, the dataset menu that stayed open, and the small ones.
// Real core service, real models (the bundled MobileNet, the zoo ResNet), real photos, real Chromium.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary, JobProgress, ModelSummary } from '../common/types';
import { callApi, modelRow, openGallery, samplesDir, type OpenGallery, type RunningApp } from './harness';

const SAMPLES = 34;
const ZOO_RESNET = fileURLToPath(new URL('../main/core/engine/__fixtures__/zoo/resnet', import.meta.url));
const RESNET_NAME = 'zoo resnet (random weights)';
/** Re-encodings of each sample for "copies": enough photos that a run is cancelled well before its end. */
const COPY_QUALITIES = [81, 82, 83, 84];
const LEAF = '235_german_shepherd';

let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;
let root: string;
let copies: string;

const tile = (index: number): Locator => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const box = async (locator: Locator) => (await locator.boundingBox())!;
const activeTestId = () => page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null");
/** The verdict a tile's badge shows, or null. */
const verdictOf = async (index: number): Promise<string | null> => {
  const badge = tile(index).locator('[data-testid=verdict-badge]');
  return (await badge.count()) === 0 ? null : badge.getAttribute('data-verdict');
};

/**
 * The elements matching `selector` that a click cannot reach whole: outside the window, cut off by a scrolling box
 * or covered (a point near each end and the middle must hit the element). Returns their texts; [] when none.
 */
function unreachable(selector: string): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const all = [...document.querySelectorAll(${JSON.stringify(selector)})];
    if (all.length === 0) return ['nothing matches ${selector.replace(/'/g, '')}'];
    return all.filter((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return true;
      const y = r.top + r.height / 2;
      return [r.left + 3, r.left + r.width / 2, r.right - 3].some((x) => {
        const hit = document.elementFromPoint(x, y);
        return hit === null || !el.contains(hit);
      });
    }).map((el) => (el.getAttribute('data-testid') ?? '') + ' ' + el.textContent.trim());
  })()`);
}

async function switchDataset(name: string): Promise<void> {
  const select = page.getByTestId('dataset-select');
  const value = await select.locator('option', { hasText: new RegExp(`^${name}$`) }).getAttribute('value');
  await select.selectOption(value!);
  await expect.poll(() => select.inputValue()).toBe(value);
}

/** Runs an export from the sidebar's dialog and returns the name the browser downloads it under. */
async function exportName(scope: 'all' | 'view' | 'flagged', format: 'csv' | 'html'): Promise<string> {
  await page.getByTestId('open-export').click();
  await page.getByTestId(`export-scope-${scope}`).check();
  await page.getByTestId(`export-format-${format}`).check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-go').click()]);
  await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  await download.delete();
  return download.suggestedFilename();
}

async function jobsDone(count: number): Promise<void> {
  const done = async () => (await callApi<JobProgress[]>(app, 'listJobs', {})).filter((job) => job.state === 'done').length;
  await expect.poll(done, { timeout: 240_000, interval: 500 }).toBe(count);
}

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
  it("shows the welcome screen's folder placeholder whole at 1280 × 800", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    const room = await page.evaluate<{ text: number; room: number }>(`(() => {
      const input = document.querySelector('[data-testid=folder-path]');
      const style = getComputedStyle(input);
      const context = document.createElement('canvas').getContext('2d');
      context.font = style.fontStyle + ' ' + style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
      return { text: context.measureText(input.placeholder).width, room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) };
    })()`);
    expect(room.text).toBeLessThanOrEqual(room.room);
  });

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

  it('keeps a name typed into the ⋯ menu before its toggle event comes (the rename test failed so under load)', async () => {
    const menu = page.getByTestId('dataset-menu');
    const shown = await page.getByTestId('dataset-name').innerText();
    // Open and type in one task: the toggle event, which is queued, comes after the typing.
    await page.evaluate(`(() => {
      document.querySelector('[data-testid=dataset-menu]').open = true;
      const field = document.querySelector('[data-testid=dataset-rename]');
      field.value = 'Typed at once';
      field.dispatchEvent(new Event('input', { bubbles: true }));
    })()`);
    await expect.poll(activeTestId).toBe('dataset-rename');
    expect(await page.getByTestId('dataset-rename').inputValue()).toBe('Typed at once');
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.evaluate((element) => (element as unknown as { open: boolean }).open)).toBe(false);
    // Closed without saving: the field holds the dataset's name again for the next opening.
    await menu.locator('summary').click();
    await expect.poll(() => page.getByTestId('dataset-rename').inputValue()).toBe(shown);
    await page.keyboard.press('Escape');
  });

  it('shows every verdict button and Clear for a selection at 1280 × 800 and 900 × 600, without moving the grid', async () => {
    try {
      for (const [width, height] of [
        [1280, 800],
        [900, 600],
      ]) {
        await page.setViewportSize({ width, height });
        await page.waitForTimeout(300);
        const gridY = (await box(page.getByTestId('gallery'))).y;
        await tile(0).click({ modifiers: ['Control'] });
        await tile(1).click({ modifiers: ['Control'] });
        expect(await page.getByTestId('selected-count').innerText()).toBe('2');
        for (const id of ['bulk-ok', 'bulk-misattended', 'bulk-label-error', 'bulk-unsure', 'selection-clear']) {
          expect(await unreachable(`[data-testid=${id}]`), `${id} at ${width} × ${height}`).toEqual([]);
        }
        expect((await box(page.getByTestId('gallery'))).y).toBe(gridY);
        await page.getByTestId('selection-clear').click();
        await page.getByTestId('selection-bar').waitFor({ state: 'detached' });
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('holds the layout at 900 × 600: no sideways scroll, a one-line header, a Models dialog that fits', async () => {
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      const pill = page.getByTestId('backend').locator('summary');
      await expect.poll(async () => (await box(pill)).height).toBeLessThan(32);

      await page.setViewportSize({ width: 900, height: 600 });
      await page.waitForTimeout(300);
      const widths = await page.evaluate<{ page: number; body: number }>('({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth })');
      expect(widths.page).toBeLessThanOrEqual(900);
      expect(widths.body).toBeLessThanOrEqual(900);
      expect((await box(page.locator('header'))).height).toBeLessThanOrEqual(60);
      expect((await box(pill)).height).toBeLessThan(32);
      // The engine's text is cut with an ellipsis there; its tooltip has all of it.
      expect(await pill.getAttribute('title')).toContain(await page.getByTestId('backend-summary').innerText());
      // The photo count is whole; the run's description gives way.
      expect(await page.getByTestId('photo-count').innerText()).toBe(`${SAMPLES} photos`);
      expect(await unreachable('[data-testid=photo-count]')).toEqual([]);
      expect(await unreachable('[data-testid=start-queue]')).toEqual([]);

      await page.getByTestId('open-models').click();
      await page.getByTestId('models').locator('[data-testid=model-row]').first().waitFor();
      expect(await unreachable('[data-testid=models-close]')).toEqual([]);
      expect(await unreachable('[data-testid=add-model]')).toEqual([]);
      expect(await unreachable('[data-testid=models] [data-testid=model-row] button')).toEqual([]);
      await page.getByTestId('models-close').click();
      await page.getByTestId('models').waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('starts each sort key in its own direction: file name A to Z again after suspicion', async () => {
    const sort = page.getByTestId('sort');
    const direction = () => page.getByTestId('sort-direction').getAttribute('aria-label');
    expect(await sort.inputValue()).toBe('fileName');
    expect(await direction()).toMatch(/^Ascending/);
    await sort.selectOption('suspicion');
    expect(await direction()).toMatch(/^Descending/);
    await sort.selectOption('fileName');
    expect(await direction()).toMatch(/^Ascending/);
    await sort.selectOption('confidence');
    expect(await direction()).toMatch(/^Descending/);
    // The arrow still turns it around.
    await page.getByTestId('sort-direction').click();
    expect(await direction()).toMatch(/^Ascending/);
    await sort.selectOption('fileName');
    expect(await direction()).toMatch(/^Ascending/);
  });

  it('undoes a verdict key pressed just before u, whose save has not returned yet, not the change before it', async () => {
    await tile(4).click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await page.keyboard.press('1');
    await expect.poll(() => verdictOf(4)).toBe('ok');
    await page.keyboard.press('2');
    await page.keyboard.press('u');
    await expect.poll(() => verdictOf(4)).toBe('ok');
    await page.waitForTimeout(500);
    expect(await verdictOf(4)).toBe('ok');
    await page.keyboard.press('u');
    await expect.poll(() => verdictOf(4)).toBeNull();
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('says "Saved" beside the note only for the note, not after a verdict key', async () => {
    await tile(2).click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    const status = detail.getByTestId('note-status');
    await page.keyboard.press('3');
    await detail.locator('[data-testid=verdict-label-error][aria-pressed=true]').waitFor();
    await expect.poll(() => verdictOf(2)).toBe('label_error');
    await page.waitForTimeout(500);
    expect(await status.getAttribute('data-state')).toBe('idle');
    expect(await status.innerText()).toBe('');
    await page.keyboard.press('n');
    await page.keyboard.type('grass');
    await detail.locator('[data-testid=note-status][data-state=saved]').waitFor();
    await page.getByTestId('note').fill('');
    await page.keyboard.press('Escape'); // leaves the note field (and saves it empty)
    await detail.locator('[data-testid=note-status][data-state=saved]').waitFor();
    await page.keyboard.press('3'); // the same verdict again clears it
    await expect.poll(() => verdictOf(2)).toBe(null);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('gives the top-1 class a line of its own on small tiles', async () => {
    await page.getByTestId('tile-size').selectOption('small');
    await tile(0).locator('[data-testid=top-1]').waitFor();
    await page.waitForTimeout(300);
    const narrowest = await page.evaluate<number>(`Math.min(...[...document.querySelectorAll('[data-testid=tile][data-status=done]')].map((tile) =>
      tile.querySelector('[data-testid=top-1] .label').getBoundingClientRect().width / tile.getBoundingClientRect().width))`);
    expect(narrowest).toBeGreaterThan(0.7);
    await page.getByTestId('tile-size').selectOption('medium');
  });

  it('swaps confidence ends typed the wrong way round, and says so', async () => {
    const min = page.getByTestId('confidence-min');
    const max = page.getByTestId('confidence-max');
    await min.fill('50');
    await min.press('Enter');
    await expect.poll(() => min.inputValue()).toBe('50');
    await max.fill('20');
    await max.press('Enter');
    await expect.poll(() => min.inputValue()).toBe('20');
    expect(await max.inputValue()).toBe('50');
    expect(await page.getByTestId('confidence-swapped').innerText()).toContain('20–50 %');
    await page.getByTestId('clear-filters').click();
    await expect.poll(shownCount).toBe(SAMPLES);
    expect(await page.getByTestId('confidence-swapped').count()).toBe(0);
  });

  it('keeps the key boxes of the shortcut list their height when a description wraps', async () => {
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcuts');
    await dialog.waitFor();
    const heights = await dialog.locator('kbd').evaluateAll((keys) => keys.map((key) => (key as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height));
    const lines = await dialog.locator('dd').evaluateAll((items) => items.map((item) => (item as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height));
    expect(Math.max(...lines)).toBeGreaterThan(Math.min(...lines) * 1.5); // some description does wrap
    expect(Math.max(...heights)).toBeLessThan(Math.min(...heights) + 2);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it("names an export's file after what it covers (flagged, the view); the whole dataset keeps the plain name", async () => {
    await tile(3).click({ modifiers: ['Control'] });
    await page.getByTestId('bulk-misattended').click();
    await expect.poll(() => verdictOf(3)).toBe('misattended');
    await page.keyboard.press('Escape');
    const all = await exportName('all', 'csv');
    expect(all).toMatch(/^sightline-.+\.csv$/);
    expect(await exportName('flagged', 'csv')).toBe(all.replace(/\.csv$/, '-flagged.csv'));
    expect(await exportName('view', 'csv')).toBe(all.replace(/\.csv$/, '-view.csv'));
    expect(await exportName('flagged', 'html')).toBe(all.replace(/\.csv$/, '-flagged.html'));
  });

  it('ends a comparison with another run when "Photo | overlay" is chosen, and the picker says so', async () => {
    const resnet = await callApi<ModelSummary>(app, 'addModel', { path: ZOO_RESNET });
    const [dataset] = await callApi<DatasetSummary[]>(app, 'listDatasets', {});
    await callApi(app, 'startRun', { datasetId: dataset.id, modelId: resnet.id });
    await jobsDone(2);
    await page.reload();
    await tile(0).waitFor();
    await tile(0).click();
    const detail = page.getByTestId('detail');
    await detail.locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
    // With two runs, a verdict on the map says it is this run's.
    await detail.getByTestId('verdict-unsure').click();
    await expect.poll(() => detail.getByTestId('verdict-shared').innerText()).toMatch(/^This verdict judges the map of this run \(#\d+ .+\); the other runs keep their own\./);
    await detail.getByTestId('verdict-unsure').click(); // a second click takes the verdict off again
    const hasNote = (await detail.getByTestId('note').inputValue()) !== '';
    await expect.poll(() => detail.getByTestId('verdict-shared').count()).toBe(hasNote ? 1 : 0);
    const picker = detail.getByTestId('compare-select');
    const otherRun = await picker.locator('option[value^="run:"]').first().getAttribute('value');
    await picker.selectOption(otherRun!);
    await detail.locator('[data-testid=compare-overlay][data-drawn=true]').waitFor();
    expect(await detail.getByTestId('stage').getAttribute('data-view')).toBe('compare');

    await detail.getByTestId('view-side').click();
    await expect.poll(() => detail.getByTestId('stage').getAttribute('data-view')).toBe('sideBySide');
    expect(await picker.inputValue()).toBe('');
    expect(await detail.getByTestId('compare-overlay').count()).toBe(0);
    expect(await detail.getByTestId('view-side').getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it("keeps a verdict on one run's map to that run, a label error on every run, and undoes in the run it was given in", async () => {
    // QA: a "Misattended" given on MobileNet's map showed on the zoo ResNet's run too.
    await page.reload();
    await tile(0).waitFor();
    const runSelect = page.getByTestId('run-select');
    const first = await runSelect.inputValue();
    const other = (await runSelect.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).find((v) => v !== first)!;
    const detail = page.getByTestId('detail');
    const giveVerdict = async (index: number, verdict: string): Promise<void> => {
      await tile(index).click();
      await detail.getByTestId(`verdict-${verdict}`).click();
    };
    const closeDetail = async (): Promise<void> => {
      await page.keyboard.press('Escape');
      await detail.waitFor({ state: 'detached' });
    };
    const showRun = async (runId: string): Promise<void> => {
      await runSelect.selectOption(runId);
      await expect.poll(() => page.getByTestId('run-select').inputValue()).toBe(runId);
      await tile(2).waitFor();
    };
    for (const index of [1, 2]) if ((await verdictOf(index)) !== null) throw new Error(`tile ${index} already has a verdict`);

    await giveVerdict(1, 'misattended');
    await closeDetail();
    await expect.poll(() => verdictOf(1)).toBe('misattended');
    await showRun(other);
    await expect.poll(() => verdictOf(1)).toBeNull();
    // The photo's detail in this run lists what the other run's map was judged.
    await tile(1).click();
    await expect.poll(() => detail.getByTestId('other-run-verdicts').innerText()).toMatch(new RegExp(`^Misattended on #${first} `));
    await closeDetail();

    await giveVerdict(2, 'label-error');
    await expect.poll(() => detail.getByTestId('verdict-shared').innerText()).toBe('A label error is the photo’s: every run of this dataset shows it where its map has no verdict of its own.');
    await closeDetail();
    await showRun(first);
    await expect.poll(() => verdictOf(1)).toBe('misattended');
    await expect.poll(() => verdictOf(2)).toBe('label_error');

    // QA: OK on this run's map took the label error from the other run too. It stays there.
    await giveVerdict(2, 'ok');
    await expect.poll(() => detail.getByTestId('verdict-shared').innerText()).toContain('The photo is also marked as a label error');
    await closeDetail();
    await expect.poll(() => verdictOf(2)).toBe('ok');
    await showRun(other);
    await expect.poll(() => verdictOf(2)).toBe('label_error');
    await showRun(first);
    await expect.poll(() => verdictOf(2)).toBe('ok');
    // Beside the other run's map, both captions name their run, and the other's says what its map was judged.
    await tile(2).click();
    await detail.getByTestId('compare-select').selectOption(`run:${other}`);
    await detail.locator('[data-testid=compare-overlay][data-drawn=true]').waitFor();
    const captions = await detail.locator('[data-testid=zoom-pane] .caption').allInnerTexts();
    expect(captions[0]).toMatch(new RegExp(`\\(run #${first}\\)$`));
    expect(captions[1]).toMatch(new RegExp(`\\(run #${other}\\) · Label error$`));
    await closeDetail();

    // Undo (the toolbar's button) takes back the OK, then the label error given in the other run (the photo shows it
    // no more in this one), then the verdict given in this run.
    await page.getByTestId('undo').click();
    await expect.poll(() => verdictOf(2)).toBe('label_error');
    await page.getByTestId('undo').click();
    await expect.poll(() => verdictOf(2), { timeout: 5000 }).toBeNull();
    expect(await verdictOf(1)).toBe('misattended');
    await page.getByTestId('undo').click();
    await expect.poll(() => verdictOf(1)).toBeNull();
  });

  it("uncovers the label error when the run's own verdict is cleared, and keeps a note typed just before a run switch", async () => {
    // QA: after 3, 1 and 1 again the photo showed no verdict (the library had the label error), and 3 set it again.
    const detail = page.getByTestId('detail');
    const pressed = () => detail.locator('.verdicts [aria-pressed=true]').evaluateAll((buttons) => buttons.map((b) => (b as unknown as { dataset: { testid: string } }).dataset.testid));
    await tile(5).click();
    await detail.waitFor();
    for (const key of ['3', '1']) await page.keyboard.press(key);
    await expect.poll(pressed).toEqual(['verdict-ok']);
    await page.keyboard.press('1');
    await expect.poll(pressed).toEqual(['verdict-label-error']);
    await page.keyboard.press('3');
    await expect.poll(pressed).toEqual([]);
    await expect.poll(() => verdictOf(5)).toBeNull();

    // QA: a note typed within the save delay before another run was chosen was lost, and said "Saved".
    const imageId = Number(await tile(5).getAttribute('data-image-id'));
    await page.keyboard.press('n');
    await page.keyboard.type('kept through a run switch');
    const runSelect = page.getByTestId('run-select');
    const current = await runSelect.inputValue();
    const other = (await runSelect.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).find((v) => v !== current)!;
    await runSelect.selectOption(other);
    const noteOf = async (): Promise<string> => (await callApi<{ note: string }[]>(app, 'getImages', { imageIds: [imageId], runId: Number(other) }))[0].note;
    await expect.poll(noteOf, { timeout: 5000 }).toBe('kept through a run switch');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    await runSelect.selectOption(current);
  });

  it('fills the folder path on first open, counts the photos of a folder without subfolders, offers photo folders as recent', async () => {
    await page.reload();
    await tile(0).waitFor();
    await page.getByTestId('open-import').click();
    await page.getByTestId('browse-folders').click();
    const dialog = page.getByTestId('folder-dialog');
    const browser = dialog.getByTestId('file-browser');
    await dialog.locator('[data-testid=file-browser]:not([data-path=""])').waitFor();
    const listed = (await browser.getAttribute('data-path'))!;
    await expect.poll(() => dialog.getByTestId('browse-path').inputValue()).toBe(listed);

    // The library's recent paths: the photo picker offers its datasets' folders, never its models.
    const models = (await callApi<ModelSummary[]>(app, 'listModels', {})).map((m) => m.path);
    const datasets = (await callApi<DatasetSummary[]>(app, 'listDatasets', {})).map((d) => d.rootPath);
    const recent = () => dialog.getByTestId('browse-recent-path').evaluateAll((links) => links.map((link) => link.getAttribute('data-path')!));
    await expect.poll(recent).toContain(datasets[0]);
    expect((await recent()).filter((p) => models.includes(p))).toEqual([]);

    // A class folder of the samples: no subfolders, its photos counted.
    await dialog.getByTestId('browse-path').fill(samplesDir);
    await dialog.getByTestId('browse-go').click();
    await expect.poll(() => browser.getAttribute('data-path')).toBe(samplesDir);
    await browser.locator(`[data-testid=browse-entry][data-name="${LEAF}"] button.name`).click();
    await expect.poll(() => browser.getAttribute('data-path')).toBe(path.join(samplesDir, LEAF));
    const inLeaf = readdirSync(path.join(samplesDir, LEAF)).length;
    expect(await dialog.getByTestId('browse-empty').innerText()).toBe(`No subfolders; ${inLeaf} photo${inLeaf === 1 ? '' : 's'} here.`);
    // Typed straight in, never listed from above: counted all the same.
    const typed = path.join(copies, LEAF);
    await dialog.getByTestId('browse-path').fill(typed);
    await dialog.getByTestId('browse-go').click();
    await expect.poll(() => browser.getAttribute('data-path')).toBe(typed);
    await expect.poll(() => dialog.getByTestId('browse-empty').innerText()).toBe(`No subfolders; ${inLeaf * COPY_QUALITIES.length} photos here.`);
    await dialog.getByTestId('browse-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('open-import').click();

    // The model picker offers the models.
    await page.getByTestId('open-models').click();
    await page.getByTestId('add-model').click();
    const modelBrowser = page.getByTestId('models').getByTestId('file-browser');
    await page.locator('[data-testid=models] [data-testid=file-browser]:not([data-path=""])').waitFor();
    const modelRecent = () => modelBrowser.getByTestId('browse-recent-path').evaluateAll((links) => links.map((link) => link.getAttribute('data-path')!));
    await expect.poll(async () => (await modelRecent()).length).toBeGreaterThan(0);
    expect((await modelRecent()).filter((p) => !models.includes(p))).toEqual([]);
    await page.keyboard.press('Escape'); // back to the list
    await page.keyboard.press('Escape'); // closes the view
    await page.getByTestId('models').waitFor({ state: 'detached' });
  });

  it('says a cancelled "Run on this dataset" resumes from there, not by importing the folder again', async () => {
    // "copies": imported, and cancelled as soon as its photos are listed (they all are, none analysed).
    const started = await callApi<{ jobId: string }>(app, 'importFolder', { path: copies });
    const job = async () => (await callApi<JobProgress[]>(app, 'listJobs', {})).find((j) => j.jobId === started.jobId)!;
    await expect.poll(async () => (await job()).total, { interval: 50 }).toBeGreaterThan(0);
    await callApi(app, 'cancelJob', { jobId: started.jobId });
    await expect.poll(async () => (await job()).state).toBe('cancelled');

    await page.reload();
    await tile(0).waitFor();
    await switchDataset('copies');
    await page.getByTestId('open-models').click();
    await modelRow(page, RESNET_NAME).getByTestId('model-run').click();
    await page.getByTestId('models').waitFor({ state: 'detached' });
    await page.locator('[data-testid=progress][data-state=running]').waitFor();
    await expect.poll(async () => Number(await page.getByTestId('progress-done').innerText()), { interval: 50, timeout: 120_000 }).toBeGreaterThan(0);
    await page.getByTestId('cancel-job').click();
    await page.locator('[data-testid=progress][data-state=cancelled]').waitFor();
    const message = await page.getByTestId('progress').locator('.message').innerText();
    expect(message).toContain('Run on this dataset');
    expect(message).not.toContain('importing the folder');
  });
});
