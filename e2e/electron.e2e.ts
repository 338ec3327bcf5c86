// Electron smoke test with Playwright's _electron. It needs Electron's binary, which an offline install
// cannot download; then it is skipped and says why (never a silent pass).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findElectronBinary } from '../bin/electron-binary.js';
import { CALL_NAMES } from '../common/calls';

const binary = findElectronBinary();
const skipReason = 'path' in binary ? null : binary.missing;
if (skipReason) console.warn(`[electron.e2e] SKIPPED: ${skipReason}`);

describe('Electron desktop shell', () => {
  it.skipIf(skipReason !== null)(`opens the gallery window with a sandboxed, isolated renderer${skipReason ? ` (skipped: ${skipReason})` : ''}`, async () => {
    if (!('path' in binary)) return;
    const dataDir = mkdtempSync(join(tmpdir(), 'sightline-electron-'));
    const app = await _electron.launch({
      executablePath: binary.path,
      args: ['.', '--no-sandbox'],
      env: { ...process.env, SIGHTLINE_DATA_DIR: dataDir },
    });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(page.url()).toMatch(/^sightline-app:\/\/bundle\//);
      expect(await page.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (globalThis as unknown as { process?: unknown }).process)).toBe('undefined');
      const calls = await page.evaluate(() => Object.keys((globalThis as unknown as { sightline: object }).sightline).sort());
      // Exactly the contract's Api: every call, events, media URLs and the desktop-only extras, nothing more.
      const desktopOnly = ['pickFolder', 'pickModel', 'pickLabelsFile', 'pathForDroppedFile', 'onMenuCommand', 'revealImage', 'saveFile'];
      expect(calls).toEqual([...CALL_NAMES, 'on', 'mediaUrl', ...desktopOnly].sort());
      const info = await page.evaluate(() => (globalThis as unknown as { sightline: { getInfo(i: object): Promise<{ mode: string }> } }).sightline.getInfo({}));
      expect(info.mode).toBe('electron');
      await page.screenshot({ path: join('e2e', 'artifacts', 'electron-window.png') });
    } finally {
      await app.close();
    }
  });
});
