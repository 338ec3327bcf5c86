// A QA pass over a dataset with several runs (MobileNet Grad-CAM, the zoo ResNet Grad-CAM, MobileNet HiRes-CAM):
// the keys stayed in a picker after a choice, the detail view's Method and Layer pickers showed the last run's,
// an undo in a run not shown said nothing, a reload forgot the run chosen, and the wording of the header, the
// run picker, the Undo button and the export dialog.
// Real core service, real models (the bundled MobileNet, the zoo ResNet), real photos, real Chromium.
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetSummary, JobProgress, ModelSummary, RunInfo } from '../common/types';
import { runLabel } from '../renderer/src/lib/run-label';
import { callApi, openGallery, type OpenGallery, type RunningApp } from './harness';

const SAMPLES = 34;
const ZOO_RESNET = fileURLToPath(new URL('../main/core/engine/__fixtures__/zoo/resnet', import.meta.url));

let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;
/** The sample dataset's runs, oldest first: MobileNet Grad-CAM, ResNet Grad-CAM, MobileNet HiRes-CAM. */
let runs: RunInfo[];

const tile = (index: number): Locator => page.locator(`[data-testid=tile][data-index="${index}"]`);
const shownCount = async () => Number(await page.getByTestId('result-count').locator('strong').innerText());
const runSelect = (): Locator => page.getByTestId('run-select');
const detail = (): Locator => page.getByTestId('detail');
/** The verdict a tile's badge shows, or null. */
const verdictOf = async (index: number): Promise<string | null> => {
  const badge = tile(index).locator('[data-testid=verdict-badge]');
  return (await badge.count()) === 0 ? null : badge.getAttribute('data-verdict');
};
/** The index of the tile that has the grid's keyboard focus (the one in the tab order). */
const focusedIndex = async (): Promise<number> => Number(await page.locator('[data-testid=tile][tabindex="0"]').getAttribute('data-index'));

async function jobsDone(count: number): Promise<void> {
  const done = async () => (await callApi<JobProgress[]>(app, 'listJobs', {})).filter((job) => job.state === 'done').length;
  await expect.poll(done, { timeout: 240_000, interval: 500 }).toBe(count);
}

/** Chooses a run in the sidebar's picker as a person does (the picker has the focus, then the choice). */
async function chooseRun(run: RunInfo): Promise<void> {
  await runSelect().focus();
  await runSelect().selectOption(String(run.id));
  await expect.poll(() => runSelect().inputValue()).toBe(String(run.id));
  await tile(0).waitFor();
}

/** Chooses in one of the detail view's pickers, as a person does. */
async function pick(testId: string, value: string): Promise<void> {
  const select = detail().getByTestId(testId);
  await select.focus();
  await select.selectOption(value);
}

async function openTile(index: number): Promise<void> {
  await tile(index).click();
  await detail().locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
}

async function closeDetail(): Promise<void> {
  await page.keyboard.press('Escape');
  await detail().waitFor({ state: 'detached' });
}

/** The layer the detail view's Layer picker shows (or its plain "@ layer" where there is nothing to pick). */
async function shownLayer(): Promise<string> {
  const picker = detail().getByTestId('layer-select');
  if ((await picker.count()) > 0) return picker.inputValue();
  return (await detail().locator('span.layer').innerText()).replace(/^@ /, '');
}

beforeAll(async () => {
  gallery = await openGallery();
  ({ app, page } = gallery);
});

afterAll(async () => {
  await gallery?.close();
});

// Each test starts from the gallery, whatever the one before left open.
beforeEach(async () => {
  if (!page || (await detail().count()) === 0) return;
  await closeDetail();
});

describe('A dataset with several runs', () => {
  it('analyses the samples with MobileNet, then with the zoo ResNet and with MobileNet HiRes-CAM', async () => {
    await page.goto(app.host.url);
    await page.getByTestId('analyse-samples').click();
    await page.locator('[data-testid=progress][data-state=done]').waitFor({ timeout: 240_000 });
    await expect.poll(shownCount).toBe(SAMPLES);
    const resnet = await callApi<ModelSummary>(app, 'addModel', { path: ZOO_RESNET });
    const [dataset] = await callApi<DatasetSummary[]>(app, 'listDatasets', {});
    await callApi(app, 'startRun', { datasetId: dataset.id, modelId: resnet.id });
    await jobsDone(2);
    await callApi(app, 'startRun', { datasetId: dataset.id, method: 'HiResCAM' });
    await jobsDone(3);
    runs = await callApi<RunInfo[]>(app, 'listRuns', { datasetId: dataset.id });
    expect(runs.map((r) => [r.modelName === runs[0].modelName, r.method])).toEqual([
      [true, 'GradCAM'],
      [false, 'GradCAM'],
      [true, 'HiResCAM'],
    ]);
    await page.reload();
    await tile(0).waitFor();
    await expect.poll(() => runSelect().locator('option').count()).toBe(3);
    expect(await runSelect().inputValue()).toBe(String(runs[2].id));
  });

  it("shows the run's own method and layer in the detail view's pickers, not the last run's", async () => {
    // QA: opened in #3 (MobileNet, HiRes-CAM), then in #2 (ResNet, Grad-CAM): Method said HiRes-CAM, Layer MobileNet's.
    await openTile(0);
    expect(await detail().getByTestId('method-select').inputValue()).toBe('HiResCAM');
    expect(await shownLayer()).toBe(runs[2].layer);
    await closeDetail();
    await chooseRun(runs[1]);
    await openTile(0);
    await expect.poll(() => detail().getByTestId('stage').locator('.caption').first().innerText()).toContain('Grad-CAM');
    expect(await detail().getByTestId('method-select').inputValue()).toBe('GradCAM');
    expect(runs[1].layer).not.toBe(runs[2].layer);
    expect(await shownLayer()).toBe(runs[1].layer);
    await closeDetail();
  });

  it('gives the keys back to the gallery after a choice in the run picker: a verdict key judges the focused photo', async () => {
    // QA: after choosing a run, ↓ switched the run back and 1–4, u and q did nothing.
    await chooseRun(runs[0]);
    const index = await focusedIndex();
    expect(await verdictOf(index)).toBeNull();
    await page.keyboard.press('2');
    await expect.poll(() => verdictOf(index)).toBe('misattended');
    await page.getByTestId('undo').waitFor(); // the library has the verdict: there is something to undo
    await page.keyboard.press('u');
    await expect.poll(() => verdictOf(index)).toBeNull();

    await chooseRun(runs[1]);
    await page.keyboard.press('ArrowDown');
    await expect.poll(focusedIndex).toBeGreaterThan(index);
    expect(await runSelect().inputValue()).toBe(String(runs[1].id));
  });

  it("gives the keys back to the photo after a choice in the detail view's compare, Method and Layer pickers: → goes on", async () => {
    await chooseRun(runs[1]);
    await openTile(0);
    const position = detail().getByTestId('position');
    expect(await position.innerText()).toBe(`1 of ${SAMPLES}`);

    await pick('compare-select', `run:${runs[0].id}`);
    await detail().locator('[data-testid=compare-overlay][data-drawn=true]').waitFor();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => position.innerText()).toBe(`2 of ${SAMPLES}`);

    await pick('method-select', 'HiResCAM');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => position.innerText()).toBe(`3 of ${SAMPLES}`);

    const layers = detail().getByTestId('layer-select');
    const other = (await layers.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).find(
      (value) => value !== runs[1].layer,
    )!;
    await pick('layer-select', other);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => position.innerText()).toBe(`4 of ${SAMPLES}`);
    await closeDetail();
  });

  it('says what an undo changed, and where, when the change was made in a run not shown', async () => {
    await chooseRun(runs[0]);
    await openTile(5);
    await detail().getByTestId('verdict-misattended').click();
    await closeDetail();
    await expect.poll(() => verdictOf(5)).toBe('misattended');
    await chooseRun(runs[1]);
    expect(await page.getByTestId('toast').count()).toBe(0);

    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('toast-message').innerText()).toBe(`Undone in run ${runLabel(runs[0])}: the verdict of 1 photo`);
    expect(await page.getByTestId('toast').getAttribute('role')).toBe('status');
    await chooseRun(runs[0]);
    await expect.poll(() => verdictOf(5)).toBeNull();
    await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('toast').waitFor({ state: 'detached' });

    // An undo in the run shown needs no word: the tile shows it.
    await openTile(5);
    await detail().getByTestId('verdict-ok').click();
    await closeDetail();
    await expect.poll(() => verdictOf(5)).toBe('ok');
    await page.getByTestId('undo').click();
    await expect.poll(() => verdictOf(5)).toBeNull();
    await page.waitForTimeout(300);
    expect(await page.getByTestId('toast').count()).toBe(0);
  });

  it('remembers the run chosen in a dataset across a reload; a run no longer there gives way to the latest', async () => {
    await chooseRun(runs[0]);
    await page.waitForTimeout(300);
    await page.reload();
    await tile(0).waitFor();
    await expect.poll(() => runSelect().inputValue()).toBe(String(runs[0].id));

    // A remembered run that is gone (removed since): the latest shows.
    await page.evaluate(`(() => {
      const prefs = JSON.parse(localStorage.getItem('sightline.preferences'));
      prefs.runs = { [String(${runs[0].datasetId})]: 999999 };
      localStorage.setItem('sightline.preferences', JSON.stringify(prefs));
    })()`);
    await page.reload();
    await tile(0).waitFor();
    await expect.poll(() => runSelect().inputValue()).toBe(String(runs[2].id));
  });

  it("names the method as the pickers do in the header, the run whole in the picker's tooltips, and the run in the export dialog", async () => {
    await chooseRun(runs[0]);
    // (a) The header's run: "Grad-CAM", as the pickers and captions write it, not the engine's "GradCAM".
    await expect.poll(() => page.getByTestId('run-meta').innerText()).toContain(' · Grad-CAM @ ');
    expect(await page.getByTestId('run-meta').innerText()).not.toContain('GradCAM');
    await chooseRun(runs[2]);
    await expect.poll(() => page.getByTestId('run-meta').innerText()).toContain(' · HiRes-CAM @ ');

    // (b) The run picker is narrow: its tooltip and its options' name the run whole.
    expect(await runSelect().getAttribute('title')).toBe(runLabel(runs[2]));
    const titles = await runSelect().locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('title')));
    expect(titles).toEqual(runs.map(runLabel));

    // (c) The Undo button undoes tags too.
    await openTile(0);
    await detail().getByTestId('verdict-ok').click();
    await closeDetail();
    await expect.poll(() => page.getByTestId('undo').getAttribute('title')).toBe('Undo the last verdict or tag change (u, Ctrl+Z)');
    await page.getByTestId('undo').click();

    // (d) The export dialog says which run it exports.
    await page.getByTestId('open-export').click();
    await expect.poll(() => page.getByTestId('export-run').innerText()).toContain(runLabel(runs[2]));
    await page.keyboard.press('Escape');
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  });
});
