// Issue 13's Setup view in the browser mode, with no dataset open: the preview shows the sample photo it ran under
// its map, and the labels file is chosen through the host's file browser (a wrong one is refused with a message,
// a right one renames the preview's classes and, saved, the model's labels).
// Real core service, a real copy of the zoo ResNet, a real photo, real Chromium.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, openGallery, type OpenGallery, type RunningApp } from './harness';

const ZOO_RESNET = fileURLToPath(new URL('../main/core/engine/__fixtures__/zoo/resnet', import.meta.url));
const NAMES = ['apple', 'banana', 'cherry', 'damson', 'elderberry', 'fig', 'grape', 'huckleberry', 'imbe', 'jackfruit'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-setup-e2e-'));
const modelDir = path.join(tmp, 'resnet');
let app: RunningApp;
let gallery: OpenGallery | undefined;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(artifactsDir, `model-setup-${name}.png`) });
const setup = () => page.getByTestId('model-setup');
const fileBrowser = () => setup().getByTestId('file-browser');

beforeAll(async () => {
  cpSync(ZOO_RESNET, modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'names.txt'), `${NAMES.join('\n')}\n`);
  gallery = await openGallery();
  ({ app, page } = gallery);
});
afterAll(async () => {
  await gallery?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Waits for the preview of the draft as it is now (a change starts a new one after a short delay). */
async function previewSettled(): Promise<void> {
  await expect.poll(() => setup().getByTestId('setup-preview').getAttribute('data-state'), { timeout: 120_000 }).not.toBe('busy');
}

describe('the Setup view with no dataset open', () => {
  it('previews on the sample photo, shown under the map', async () => {
    await page.goto(app.host.url);
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('open-models').click();
    await page.getByTestId('add-model').click();
    await page.getByTestId('browse-path').fill(tmp);
    await page.getByTestId('browse-go').click();
    await page.locator(`[data-testid=browse-entry][data-name=resnet] [data-testid=browse-pick]`).click();
    await setup().waitFor();

    const preview = setup().locator('[data-testid=setup-preview][data-state=done]');
    await preview.waitFor({ timeout: 120_000 });
    await preview.locator('[data-testid=setup-preview-overlay][data-drawn=true]').waitFor();
    // The photo came with the preview (no library holds it) and loaded: a real picture, not a broken image.
    const photo = preview.getByTestId('setup-preview-photo');
    expect(await photo.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    const loaded = () => photo.evaluate((element) => {
      const img = element as unknown as { complete: boolean; naturalWidth: number };
      return img.complete && img.naturalWidth > 0;
    });
    await expect.poll(loaded).toBe(true);
    expect(await preview.locator('figcaption').innerText()).toContain('A sample photo');
    await shot('01-sample-photo');
  });

  it("chooses the labels file in the host's file browser: a wrong one is refused, a right one names the classes", async () => {
    // Proposed: the folder's own labels.txt ("class 0" … "class 9").
    expect(await setup().getByTestId('setup-labels-file').isChecked()).toBe(true);
    expect(await setup().getByTestId('setup-labels-path').inputValue()).toBe(path.join(modelDir, 'labels.txt'));
    expect(await setup().getByTestId('setup-labels-preview').innerText()).toMatch(/^Saved: class 0, class 1/);

    // The browser opens where the labels file is and lists folders and .json/.txt files only.
    await setup().getByTestId('setup-labels-choose').click();
    await setup().locator(`[data-testid=file-browser][data-path="${modelDir}"]`).waitFor();
    const listed = await fileBrowser().getByTestId('browse-entry').evaluateAll((entries) => entries.map((e) => e.getAttribute('data-name')));
    expect(listed).toEqual(['labels.txt', 'names.txt', 'reference.json', 'sightline.json']);
    await shot('02-labels-browser');

    // sightline.json is no list of names: the preview says so, and nothing is saved.
    await fileBrowser().locator('[data-testid=browse-entry][data-name="sightline.json"] [data-testid=browse-pick]').click();
    await fileBrowser().waitFor({ state: 'detached' });
    expect(await setup().getByTestId('setup-labels-path').inputValue()).toBe(path.join(modelDir, 'sightline.json'));
    await expect
      .poll(() => setup().getByTestId('setup-preview-error').textContent(), { timeout: 120_000 })
      .toMatch(/sightline\.json must hold an array of class names/);

    // names.txt, chosen by its name this time: the preview's classes take its names.
    await setup().getByTestId('setup-labels-choose').click();
    await fileBrowser().locator('[data-testid=browse-entry][data-name="names.txt"] button.name').click();
    expect(await setup().getByTestId('setup-labels-path').inputValue()).toBe(path.join(modelDir, 'names.txt'));
    await expect.poll(() => setup().getByTestId('setup-preview-top').textContent(), { timeout: 120_000 }).toMatch(new RegExp(NAMES.join('|')));
    await previewSettled();
    expect(await setup().getByTestId('setup-preview-top').innerText()).not.toMatch(/class \d/);
    expect(await setup().getByTestId('setup-preview-error').count()).toBe(0);

    // Saved, the model's labels are the file's.
    await setup().getByTestId('setup-save').click();
    await expect.poll(() => setup().getByTestId('setup-state').innerText()).toBe('Saved');
    expect(await setup().getByTestId('setup-labels-preview').innerText()).toMatch(/^Saved: apple, banana, cherry/);
    await shot('03-labels-chosen');
  });

  it("keeps what is typed in the file browser's path field when a listing arrives after the person entered it", async () => {
    // Once in a CI run the first listing (the home folder) arrived between Playwright's select-all and its typing: the
    // field took the listed path under the caret, and the typed path landed after it ("/root/tmp/…").
    await page.goto(app.host.url); // only the token's fragment changes: the page stays as it is …
    await page.reload(); // … so it is loaded anew, the Setup view closed
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('open-models').click();
    // The host's listings are held while `hold` is set, until released (the real host behind them).
    let hold = true;
    const waiting: (() => void)[] = [];
    await page.route('**/api/browse', async (route) => {
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
      await route.continue().catch(() => undefined); // unrouted meanwhile: the request went on without this handler
    });
    const releaseHeld = async (): Promise<void> => {
      await expect.poll(() => waiting.length).toBeGreaterThan(0);
      for (const resolve of waiting.splice(0)) resolve();
    };
    const browser = page.getByTestId('file-browser');
    const field = page.getByTestId('browse-path');
    const listed = () => browser.getAttribute('data-path');
    try {
      await page.getByTestId('add-model').click();
      await field.click(); // entered while the home folder is being listed
      await releaseHeld();
      await expect.poll(listed).not.toBe('');
      await page.keyboard.type(tmp);
      expect(await field.inputValue()).toBe(tmp);
      hold = false;
      await page.keyboard.press('Enter');
      await expect.poll(listed).toBe(tmp);
      expect(await field.inputValue()).toBe(tmp);

      // Entered and left untouched while the folder above is listed: the field shows that folder once left.
      hold = true;
      await page.getByTestId('browse-up').click();
      await field.click();
      await releaseHeld();
      await expect.poll(listed).toBe(path.dirname(tmp));
      expect(await field.inputValue()).toBe(tmp); // still the person's while they are in it
      await field.blur();
      expect(await field.inputValue()).toBe(path.dirname(tmp));
    } finally {
      hold = false;
      for (const resolve of waiting.splice(0)) resolve();
      await page.unroute('**/api/browse');
    }
  });
});
