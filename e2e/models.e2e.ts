// Issue 13 in the browser mode: add a zoo model through the host's file browser, see and change the setup Sightline
// proposes with a preview map, import the samples with it, import them again (resumed, nothing redone), run the
// bundled MobileNet on the same dataset and compare the two models' maps side by side.
// Real core service, real ONNX and TF.js models, real photos, real Chromium.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress, RunInfo } from '../common/types';
import { artifactsDir, callApi, modelRow, openGallery, type OpenGallery, type RunningApp } from './harness';

const PHOTOS = 34;
const ZOO = fileURLToPath(new URL('../main/core/engine/__fixtures__/zoo', import.meta.url));
const RESNET_NAME = 'zoo resnet (random weights)';
let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(artifactsDir, `models-${name}.png`) });

const models = () => page.getByTestId('models');
/** Waits until the service has finished `count` jobs in all, and the status bar says the last one is done. */
async function jobsFinished(count: number): Promise<JobProgress> {
  const done = async () => (await callApi<JobProgress[]>(app, 'listJobs', {})).filter((job) => job.state === 'done');
  await expect.poll(async () => (await done()).length, { timeout: 240_000, interval: 500 }).toBe(count);
  await page.locator('[data-testid=progress][data-state=done]').waitFor();
  return (await done()).at(-1)!;
}

beforeAll(async () => {
  gallery = await openGallery();
  ({ app, page } = gallery);
});
afterAll(async () => {
  await gallery?.close();
});

describe('models in the gallery', () => {
  it('adds the zoo ResNet through the file browser and proposes its setup', async () => {
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('open-models').click();
    await models().locator('[data-testid=model-row]').first().waitFor();
    // The bundled MobileNet is in the library from the first start, and active.
    expect(await models().locator('[data-testid=model-row][data-active=true] [data-testid=model-name]').innerText()).toMatch(/mobilenet/i);

    await page.getByTestId('add-model').click();
    const browserPane = page.getByTestId('file-browser');
    await page.getByTestId('browse-path').fill(ZOO);
    await page.getByTestId('browse-go').click();
    await page.locator(`[data-testid=file-browser][data-path="${ZOO}"]`).waitFor();
    const resnet = browserPane.locator('[data-testid=browse-entry][data-name=resnet]');
    // A model folder can be entered (its files listed) and left again.
    await resnet.locator('button.name').click();
    await page.locator(`[data-testid=file-browser][data-path="${path.join(ZOO, 'resnet')}"]`).waitFor();
    expect(await browserPane.locator('[data-testid=browse-entry][data-name="model.onnx"]').count()).toBe(1);
    await page.getByTestId('browse-up').click();
    await page.locator(`[data-testid=file-browser][data-path="${ZOO}"]`).waitFor();
    await shot('01-browser');
    await resnet.getByTestId('browse-pick').click();

    // The Setup view opens on the new model with what Sightline proposes for it.
    const setup = page.getByTestId('model-setup');
    await setup.waitFor();
    expect(await setup.getByTestId('setup-model-name').innerText()).toBe(RESNET_NAME);
    expect(await setup.getByTestId('setup-preprocessing').inputValue()).toBe('torch');
    expect(await setup.getByTestId('setup-input-size').innerText()).toBe('224×224');
    expect(await setup.getByTestId('setup-class-count').innerText()).toBe('10 classes');
    expect(await setup.getByTestId('setup-labels-imagenet').count()).toBe(0); // 10 classes: ImageNet is not offered
    const fileLabels = await setup.getByTestId('setup-labels-file').isChecked();
    const numbered = await setup.getByTestId('setup-labels-numbered').isChecked();
    expect(fileLabels || numbered).toBe(true);

    // The layer picker groups the layers by block and marks the default, which is the proposed layer.
    const layerSelect = setup.getByTestId('setup-layer');
    const blocks = await layerSelect.locator('optgroup').evaluateAll((groups: { label: string }[]) => groups.map((g) => g.label));
    expect(blocks).toContain('layer4');
    const marked = layerSelect.locator('option[data-default=true]');
    expect(await marked.count()).toBe(1);
    expect(await marked.innerText()).toMatch(/ · \d+×\d+×\d+ · default$/);
    expect(await layerSelect.inputValue()).toBe(await marked.getAttribute('value'));

    // A preview map of one photo under the proposed setup.
    await setup.locator('[data-testid=setup-preview][data-state=done]').waitFor({ timeout: 120_000 });
    await setup.locator('[data-testid=setup-preview-overlay][data-drawn=true]').waitFor();
    expect(await setup.getByTestId('setup-preview-top').innerText()).toMatch(/class \d/);
    await shot('02-setup-proposed');
  });

  it('changes and saves the setup, and keeps it', async () => {
    const setup = page.getByTestId('model-setup');
    await setup.getByTestId('setup-resize').selectOption('centre-crop');
    expect(await setup.getByTestId('setup-state').innerText()).toBe('Not saved yet');
    // The preview follows the draft before it is saved.
    await setup.locator('[data-testid=setup-preview][data-state=busy]').waitFor();
    await setup.locator('[data-testid=setup-preview][data-state=done]').waitFor({ timeout: 120_000 });
    await setup.getByTestId('setup-save').click();
    await expect.poll(() => setup.getByTestId('setup-state').innerText()).toBe('Saved');

    // Closed and opened again, the view reads the library: the change is stored with the model.
    await page.keyboard.press('Escape'); // back to the list
    await page.keyboard.press('Escape'); // closes the view
    await models().waitFor({ state: 'detached' });
    await page.getByTestId('open-models').click();
    await modelRow(page, RESNET_NAME).getByTestId('model-setup-open').click();
    expect(await page.getByTestId('setup-resize').inputValue()).toBe('centre-crop');
    expect(await page.getByTestId('setup-reset').isEnabled()).toBe(true);
    await page.getByTestId('setup-back').click();

    await modelRow(page, RESNET_NAME).getByTestId('model-activate').click();
    await modelRow(page, RESNET_NAME).locator('[data-testid=model-active]').waitFor();
    await page.getByTestId('models-close').click();
    expect(await page.getByTestId('active-model').innerText()).toBe(RESNET_NAME);
  });

  it('imports the samples with the ResNet: the runs carry its name and its labels', async () => {
    await page.getByTestId('analyse-samples').click();
    await jobsFinished(1);
    expect(await page.getByTestId('progress').innerText()).toContain(`${PHOTOS} / ${PHOTOS} done`);
    expect(await page.getByTestId('run-meta').innerText()).toContain(RESNET_NAME);
    await page.locator('[data-testid=tile] [data-testid=top-1]').first().waitFor();
    for (const text of (await page.locator('[data-testid=tile] [data-testid=top-1]').allInnerTexts()).slice(0, 6)) expect(text).toMatch(/^class \d/);
    await shot('03-gallery-resnet');
  });

  it('imports the same folder again: the run resumes and nothing is redone', async () => {
    const [dataset] = await callApi<{ id: number }[]>(app, 'listDatasets', {});
    const before = await callApi<RunInfo[]>(app, 'listRuns', { datasetId: dataset.id });
    expect(before.map((r) => r.modelName)).toEqual([RESNET_NAME]);

    await page.getByTestId('open-import').click();
    await page.getByTestId('analyse-samples').click();
    const last = await jobsFinished(2);
    expect(last.runId).toBe(before[0].id);
    expect(last.scan).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: PHOTOS });
    expect(await page.getByTestId('progress-scan').innerText()).toBe(`· the folder's files: 0 new, 0 changed, 0 removed, ${PHOTOS} unchanged`);
    await shot('04-reimport');
    expect((await callApi<RunInfo[]>(app, 'listRuns', { datasetId: dataset.id })).length).toBe(1);
  });

  it("runs MobileNet on the same dataset and compares the two models' maps side by side", async () => {
    // The view's own request answers late (as on a busy server): the run counts it shows at once are already
    // current, since the list followed the imports' jobs.
    await page.route('**/api/listModels', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Unrouted meanwhile: the request went on without this handler.
      await route.continue().catch(() => undefined);
    });
    await page.getByTestId('open-models').click();
    const mobilenet = models().locator('[data-testid=model-row]', { hasNot: page.locator(`[data-testid=model-name]:text-is("${RESNET_NAME}")`) });
    expect(await modelRow(page, RESNET_NAME).getByTestId('model-runs').innerText()).toBe('1');
    await page.unroute('**/api/listModels');
    await mobilenet.getByTestId('model-run').click();
    await models().waitFor({ state: 'detached' });
    await jobsFinished(3);
    await expect.poll(() => page.getByTestId('run-select').locator('option').count()).toBe(2);

    // Both runs in the run picker, each named by its model, method and layer.
    const runNames = await page.getByTestId('run-select').locator('option').allInnerTexts();
    expect(runNames).toHaveLength(2);
    expect(runNames.some((name) => name.includes(RESNET_NAME) && name.includes('Grad-CAM @ '))).toBe(true);
    expect(runNames.some((name) => /mobilenet/i.test(name))).toBe(true);
    expect(await page.getByTestId('run-meta').innerText()).toMatch(/mobilenet/i);

    await page.locator('[data-testid=tile][data-index="0"]').click();
    const detail = page.getByTestId('detail');
    await detail.locator('[data-testid=detail-overlay][data-drawn=true]').waitFor();
    // MobileNet's layer picker: its layers grouped by stage, its default marked.
    expect(await detail.getByTestId('layer-select').locator('option[data-default=true]').count()).toBe(1);
    const resnetRun = await detail
      .getByTestId('compare-select')
      .locator('option', { hasText: RESNET_NAME })
      .getAttribute('value');
    await detail.getByTestId('compare-select').selectOption(resnetRun!);
    await detail.locator('[data-testid=compare-overlay][data-drawn=true]').waitFor();
    const captions = await detail.locator('[data-testid=zoom-pane] .caption').allInnerTexts();
    expect(captions).toHaveLength(2);
    expect(captions[0]).toMatch(/mobilenet/i);
    expect(captions[1]).toContain(RESNET_NAME);
    await shot('05-compare-models');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it("previews a model's setup on the gallery's focused photo", async () => {
    await page.getByTestId('open-models').click();
    await modelRow(page, RESNET_NAME).getByTestId('model-setup-open').click();
    const preview = page.locator('[data-testid=setup-preview][data-state=done]');
    await preview.waitFor({ timeout: 120_000 });
    await preview.locator('[data-testid=setup-preview-overlay][data-drawn=true]').waitFor();
    const focused = await page.locator('[data-testid=tile][data-index="0"]').getAttribute('title');
    expect(await preview.locator('img').getAttribute('alt')).toBe(focused!.split('/').at(-1));
    await shot('06-setup-preview-photo');
  });
});
