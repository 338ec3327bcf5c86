// The Electron security checklist as unit tests: they run in plain Node with stand-ins for Electron's
// event objects (Electron's binary is not installed here; e2e/electron.e2e.ts covers the real thing where it is).
import { EventEmitter } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleAppRequest, handleMediaRequest } from './protocols';
import {
  CONTENT_SECURITY_POLICY,
  hardenSession,
  hardenWebContents,
  isTrustedSender,
  isVettedExternalUrl,
  secureWebPreferences,
} from './security';
import { guardedHandler } from './ipc';

describe('webPreferences', () => {
  it('isolates, sandboxes and keeps web security on', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
  });

  it('has a strict CSP without inline or remote scripts', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/);
  });
});

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (d: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

function fire(contents: FakeContents, event: string, url?: string): boolean {
  let prevented = false;
  contents.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('web contents hardening', () => {
  it('denies navigation away from the bundle, webviews and new windows', () => {
    const contents = new FakeContents();
    const opened: string[] = [];
    hardenWebContents(contents as never, (url) => void opened.push(url));
    expect(fire(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire(contents, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire(contents, 'will-navigate', 'sightline-app://bundle/index.html')).toBe(false);
    expect(fire(contents, 'will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(fire(contents, 'will-attach-webview')).toBe(true);
    expect(contents.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'https://github.com/jacobgil/pytorch-grad-cam' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/jacobgil/pytorch-grad-cam']);
  });

  it('vets external URLs: https to known hosts only, no credentials', () => {
    expect(isVettedExternalUrl('https://arxiv.org/abs/1610.02391')).toBe(true);
    expect(isVettedExternalUrl('http://arxiv.org/abs/1610.02391')).toBe(false);
    expect(isVettedExternalUrl('https://user:pw@github.com/')).toBe(false);
    expect(isVettedExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isVettedExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isVettedExternalUrl('https://github.com.evil.example/')).toBe(false);
  });

  it('denies every permission request and check, and adds the CSP header', () => {
    let requestHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let checkHandler: (() => boolean) | undefined;
    let headersHandler: ((d: { responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h),
      setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h),
      webRequest: { onHeadersReceived: (h: typeof headersHandler) => (headersHandler = h) },
    } as never);
    const answers: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal']) requestHandler?.(null, permission, (ok) => answers.push(ok));
    expect(answers).toEqual([false, false, false, false]);
    expect(checkHandler?.()).toBe(false);
    let headers: unknown;
    headersHandler?.({ responseHeaders: { 'X-A': ['1'] } }, (r) => (headers = r));
    expect(headers).toEqual({ responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
});

describe('IPC sender validation', () => {
  it('trusts only the main frame showing the bundle', () => {
    expect(isTrustedSender({ url: 'sightline-app://bundle/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'sightline-app://bundle/index.html', parent: {} as never })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'file:///app/out/renderer/index.html', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  it('refuses untrusted senders and invalid input before the service is reached', async () => {
    const reached: unknown[] = [];
    const service = { setReview: async (input: unknown) => (reached.push(input), input) } as never;
    const handler = guardedHandler('setReview', service);
    const trusted = { senderFrame: { url: 'sightline-app://bundle/index.html', parent: null } } as never;
    const foreign = { senderFrame: { url: 'https://evil.example/', parent: null } } as never;
    await expect(handler(foreign, { imageId: 1, verdict: 'ok', note: '' })).rejects.toThrow(/not the app's main frame/);
    await expect(handler(trusted, { imageId: 'DROP TABLE', verdict: 'ok', note: '' })).rejects.toThrow(/Invalid input for setReview/);
    await expect(handler(trusted, { imageId: 1, verdict: 'ok', note: '', path: '/etc' })).rejects.toThrow(/Invalid input/);
    expect(reached).toEqual([]);
    await expect(handler(trusted, { imageId: 1, verdict: 'ok', note: 'fine' })).resolves.toEqual({ imageId: 1, verdict: 'ok', note: 'fine' });
  });
});

describe('custom protocols', () => {
  const unreachable = {
    readMedia: async (): Promise<never> => {
      throw new Error('hostile URL reached the service');
    },
  };

  it.each([
    'sightline-media://thumb/../../etc/passwd',
    'sightline-media://thumb/%2e%2e%2fetc%2fpasswd',
    'sightline-media://file/1',
    'sightline-media://thumb/0',
    'sightline-media://thumb/-1',
    'sightline-media://thumb/1.5',
    'sightline-media://thumb/1?path=/etc/passwd',
    'sightline-media://image/99999999999999999999',
    'file:///etc/passwd',
    'not a url',
  ])('media protocol refuses %s', async (url) => {
    const response = await handleMediaRequest(url, unreachable);
    expect([400, 404]).toContain(response.status);
  });

  it('app protocol serves the bundle and nothing outside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sightline-app-'));
    mkdirSync(join(root, 'renderer'));
    writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>ok</title>');
    writeFileSync(join(root, 'secret.html'), 'secret');
    const dir = join(root, 'renderer');
    const ok = await handleAppRequest('sightline-app://bundle/', dir);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await ok.text()).toContain('<title>ok</title>');
    for (const url of [
      'sightline-app://bundle/../secret.html',
      'sightline-app://bundle/%2e%2e/secret.html',
      'sightline-app://bundle/..%2fsecret.html',
      'sightline-app://other/index.html',
      'sightline-app://bundle/index.html%00.png',
      'sightline-app://bundle/missing.js',
    ]) {
      const response = await handleAppRequest(url, dir);
      expect([400, 404], url).toContain(response.status);
    }
  });
});
