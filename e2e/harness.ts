// Shared by the web end-to-end tests: the real core service behind the real web host, and Debian's Chromium.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createCoreService } from '../main/core/service';
import { startWebHost, type WebHost } from '../main/web/host';

const root = fileURLToPath(new URL('..', import.meta.url));
export const samplesDir = path.join(root, 'resources', 'samples');
export const artifactsDir = path.join(root, 'e2e', 'artifacts');
const rendererDir = path.join(root, 'out', 'renderer');
const CHROMIUM = '/usr/bin/chromium';

export interface RunningApp {
  host: WebHost;
  /** http://127.0.0.1:PORT */
  origin: string;
  stop(): Promise<void>;
}

/** A fresh library in a temporary folder (or the library file given), served like `sightline serve` does. */
export async function startApp(options: { libraryFile?: string } = {}): Promise<RunningApp> {
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`No built renderer in ${rendererDir}: run \`npx electron-vite build\` before the end-to-end tests.`);
  }
  mkdirSync(artifactsDir, { recursive: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-'));
  const service = await createCoreService({ dataDir, mode: 'web', libraryFile: options.libraryFile });
  const host = await startWebHost({ service, rendererDir });
  return {
    host,
    origin: new URL(host.url).origin,
    stop: async () => {
      await host.close();
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A call to the web host's API as the page makes it, with the session's token; an HTTP error throws. */
export async function callApi<T>(app: RunningApp, name: string, input: object): Promise<T> {
  const res = await fetch(`${app.origin}/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-sightline-token': app.host.token },
    body: JSON.stringify(input),
  });
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The models dialog's row of the model named `name`. */
export function modelRow(page: Page, name: string): Locator {
  return page.getByTestId('models').locator('[data-testid=model-row]', { has: page.locator(`[data-testid=model-name]:text-is("${name}")`) });
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

export interface OpenGallery {
  app: RunningApp;
  browser: Browser;
  /** 1440 × 900, light, waiting up to 60 s for anything by default. */
  page: Page;
  /** Closes Chromium, then the app. */
  close(): Promise<void>;
}

/** A fresh app (on `libraryFile` when given) and Chromium with the page the gallery tests look at, not yet navigated. */
export async function openGallery({ libraryFile, ...options }: { acceptDownloads?: boolean; libraryFile?: string } = {}): Promise<OpenGallery> {
  const app = await startApp({ libraryFile });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await app.stop();
    throw error;
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', ...options });
  page.setDefaultTimeout(60_000);
  return {
    app,
    browser,
    page,
    close: async () => {
      await browser.close();
      await app.stop();
    },
  };
}
