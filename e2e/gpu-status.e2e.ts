// The header's engine pop-up says whether the engine runs on a GPU and, where it does not, why each GPU path was
// skipped: the reason the engine itself found on this machine. Real core service, real model, real Chromium.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { detectCuda } from '../main/core/engine/gpu';
import { openGallery, type OpenGallery } from './harness';

let gallery: OpenGallery | undefined;
let page: Page;

beforeAll(async () => {
  gallery = await openGallery();
  page = gallery.page;
});
afterAll(async () => {
  await gallery?.close();
});

it('names the GPU in use, or each skipped one with its reason, in the engine pop-up and its tooltip', async () => {
  await page.goto(gallery!.app.host.url);
  const summary = page.getByTestId('backend').locator('summary');
  await expect.poll(() => page.getByTestId('backend-summary').innerText(), { timeout: 120_000 }).toMatch(/^ONNX Runtime /);
  await summary.click();
  const status = page.getByTestId('gpu-status');
  await status.waitFor();

  const cuda = detectCuda();
  if (cuda.usable) {
    expect(await status.innerText()).toBe('On the GPU: CUDA.');
    return;
  }
  expect(await status.innerText()).toMatch(/^Not on a GPU: CUDA( and tfjs-node-gpu)? skipped, for the reasons below\.$/);
  expect(await page.getByTestId('skipped-providers').innerText()).toContain(`cuda: ${cuda.reason}`);
  expect(await summary.getAttribute('title')).toContain(`— CUDA skipped: ${cuda.reason}`);
});
