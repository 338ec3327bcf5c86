// Electron's security checklist in one place. Everything here takes Electron objects as parameters
// (type-only imports), so the rules run under unit tests in plain Node with fake events.
import type { WebContents, WebPreferences, Session, WebFrameMain } from 'electron';

export const APP_SCHEME = 'sightline-app';
export const MEDIA_SCHEME = 'sightline-media';
export const APP_ORIGIN = `${APP_SCHEME}://bundle`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Content-Security-Policy for every page the app loads. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** True only for the app's own bundle (the custom scheme), never file:// or the web. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'bundle';
  } catch {
    return false;
  }
}

/** IPC may come only from our window's main frame showing our bundle. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url' | 'parent'> | null | undefined): boolean {
  if (!frame || frame.parent) return false;
  return isAppUrl(frame.url);
}

/** Only plain https links to known documentation hosts leave the app, in the system browser. */
const EXTERNAL_HOSTS = new Set(['github.com', 'www.tensorflow.org', 'arxiv.org', 'electronjs.org']);
export function isVettedExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && EXTERNAL_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

type Opener = (url: string) => Promise<void> | void;

/** Deny navigation, new windows and webviews; vetted https links open in the system browser. */
export function hardenWebContents(contents: WebContents, openExternal: Opener): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isVettedExternalUrl(url)) void openExternal(url);
    return { action: 'deny' };
  });
}

/** Deny every permission request and check; add the CSP to every response. */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}
