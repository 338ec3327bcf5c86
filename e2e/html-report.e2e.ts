// The self-contained HTML report, made from a real import and opened in Chromium.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { EMPTY_FILTER, FLAGGED_VERDICTS } from '../common/query-values';
import { createCoreService } from '../main/core/service';
import type { CoreService } from '../main/core/service-types';
import { artifactsDir, launchChromium, samplesDir } from './harness';

const PICK = ['235_german_shepherd', '285_egyptian_cat', '104_wallaby', '967_espresso'];

describe('HTML report', () => {
  let root: string;
  let service: CoreService;
  let browser: Browser;
  let html: string;
  let modelHash: string;
  let flaggedHtml: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sightline-report-'));
    const photos = path.join(root, 'photos');
    for (const dir of PICK) cpSync(path.join(samplesDir, dir), path.join(photos, dir), { recursive: true });
    mkdirSync(path.join(photos, '001_goldfish'));
    writeFileSync(path.join(photos, '001_goldfish', 'broken.jpg'), 'not a photo');
    service = await createCoreService({ dataDir: path.join(root, 'data'), mode: 'web' });
    const done = new Promise<void>((resolve) =>
      service.on('jobProgress', (p) => {
        if (p.state !== 'running' && p.state !== 'queued') resolve();
      }),
    );
    const { datasetId, runId } = await service.importFolder({ path: photos });
    await done;
    const images = await service.listImages({ datasetId });
    const cat = images.find((i) => i.relPath.startsWith('285_'))!;
    await service.setReview({ imageId: cat.id, verdict: 'misattended', note: '<script>document.title="pwned"</script> looks at the "wool" & rug' });
    const wallaby = images.find((i) => i.relPath.startsWith('104_'))!;
    await service.setReview({ imageId: wallaby.id, verdict: 'unsure', note: `looks-at-the-${'x'.repeat(300)}-background` });
    await service.sanityCheck({ runId, sample: 2 });
    // As the gallery's Export… asks for "Flagged only".
    const flaggedOnly = { ...EMPTY_FILTER, verdicts: [...FLAGGED_VERDICTS] };
    flaggedHtml = (await service.exportHtml({ datasetId, runId, filter: flaggedOnly })).html;
    const report = await service.exportHtml({ datasetId, runId });
    expect(report.fileName).toBe(`sightline-photos-run${runId}.html`);
    html = report.html;
    modelHash = (await service.getInfo({})).model!.hash;
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(path.join(artifactsDir, 'report.html'), html);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('opens in Chromium with every section, embedded overlays, and hostile notes shown as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`file://${path.join(artifactsDir, 'report.html')}`);
    for (const id of ['summary', 'per-class', 'verdicts', 'flagged', 'suspicious', 'errors', 'manifest']) {
      await expect.poll(() => page.locator(`section#${id} h2`).count()).toBe(1);
    }
    expect(await page.title()).toBe('Sightline report — photos');
    expect(await page.locator('#summary').innerText()).toMatch(/5 images: 4 analysed, 1 failed/);
    expect(await page.locator('#scope').count()).toBe(0);
    expect(await page.locator('#flagged figure').count()).toBe(2);
    expect(await page.locator('#flagged blockquote').allInnerTexts()).toContainEqual(expect.stringContaining('<script>document.title="pwned"</script>'));
    expect(await page.locator('#suspicious figure').count()).toBe(2);
    expect(await page.locator('#errors').innerText()).toContain('broken.jpg');
    const manifest = await page.locator('#manifest').innerText();
    for (const entry of [modelHash, 'GradCAM', 'conv_pw_13_relu', 'mobilenet', 'TensorFlow.js', 'sharp', 'better-sqlite3', process.versions.node, 'rank correlation']) {
      expect(manifest).toContain(entry);
    }
    const widths = await page.locator('figure img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths).toHaveLength(4);
    // A note of one long word wraps inside its card rather than being cut off.
    const overflow = await page.locator('#flagged blockquote').evaluateAll((quotes) => quotes.map((q) => q.scrollWidth - q.clientWidth));
    expect(overflow).toEqual([0, 0]);
    for (const w of widths) expect(w).toBeGreaterThan(100);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/src="(?!data:)/);
    await page.screenshot({ path: path.join(artifactsDir, 'report.png'), fullPage: true });
  });

  it('says when it covers the flagged photos only, and counts only those', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.setContent(flaggedHtml);
    expect(await page.locator('#scope').innerText()).toBe(
      "This report covers the flagged photos only: 2 of the dataset's 5 photos. Every figure below counts these only.",
    );
    expect(await page.locator('#summary').innerText()).toMatch(/2 images: 2 analysed, 0 failed/);
    expect(await page.locator('#flagged figure').count()).toBe(2);
    expect(await page.locator('#suspicious').innerText()).toContain('Every photo with a suspicion score is flagged already.');
    await page.close();
  });
});
