// Electron main process: a thin shell around the core service. Everything product-side lives in core/.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session, shell } from 'electron';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCoreService } from './core/service';
import type { CoreService } from './core/service-types';
import { bindIpc, forwardEvents } from './shell/ipc';
import { handleAppRequest, handleMediaRequest } from './shell/protocols';
import { APP_ENTRY, APP_SCHEME, MEDIA_SCHEME, hardenSession, hardenWebContents, isVettedExternalUrl, secureWebPreferences } from './shell/security';
import { clampToDisplays, loadBounds, saveBounds } from './shell/window-state';

const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url));
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) app.quit();

let mainWindow: BrowserWindow | null = null;

async function pickFolder(owner: Electron.WebContents): Promise<string | null> {
  const win = BrowserWindow.fromWebContents(owner) ?? undefined;
  const options: Electron.OpenDialogOptions = { title: 'Import a folder of photos', properties: ['openDirectory'] };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

function createWindow(service: CoreService, dataDir: string): BrowserWindow {
  const placement = clampToDisplays(loadBounds(dataDir), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...placement,
    minWidth: 720,
    minHeight: 480,
    title: 'Sightline',
    show: false,
    webPreferences: secureWebPreferences(preloadPath),
  });
  hardenWebContents(win.webContents, (url) => shell.openExternal(url));
  const stopEvents = forwardEvents(service, win.webContents);
  win.on('close', () => saveBounds(dataDir, win.getNormalBounds()));
  win.on('closed', () => {
    stopEvents();
    mainWindow = null;
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = process.env.SIGHTLINE_DATA_DIR ?? app.getPath('userData');
  mkdirSync(dataDir, { recursive: true });
  hardenSession(session.defaultSession);
  const service = await createCoreService({ dataDir, mode: 'electron' });
  protocol.handle(APP_SCHEME, (request) => handleAppRequest(request.url, rendererDir));
  protocol.handle(MEDIA_SCHEME, (request) => handleMediaRequest(request.url, service));
  bindIpc(ipcMain, service, pickFolder);
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, (url) => (isVettedExternalUrl(url) ? shell.openExternal(url) : undefined));
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'fileMenu' }, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }]));
  mainWindow = createWindow(service, dataDir);
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createWindow(service, dataDir);
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void service.close());
}

start().catch((error: unknown) => {
  dialog.showErrorBox('Sightline could not start', error instanceof Error ? error.message : String(error));
  app.exit(1);
});
