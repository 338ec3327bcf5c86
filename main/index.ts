// Electron main process: a thin shell around the core service. Everything product-side lives in core/.
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, protocol, screen, session, shell } from 'electron';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ipcChannel, MENU_CHANNEL } from '../common/calls';
import type { MenuCommand } from '../common/contract';
import { createCoreService } from './core/service';
import type { CoreService } from './core/service-types';
import { labelsDialogOptions, modelDialogOptions, modelPathOf } from './shell/dialogs';
import { bindIpc, forwardEvents } from './shell/ipc';
import { bindSaveFile, saveDialogOptions } from './shell/save-file';
import { gpuProblem, menuTemplate, taskbarProgress } from './shell/menu';
import { handleAppRequest, handleMediaRequest } from './shell/protocols';
import {
  APP_ENTRY,
  APP_SCHEME,
  MEDIA_SCHEME,
  hardenSession,
  hardenWebContents,
  isTrustedSender,
  isVettedExternalUrl,
  secureWebPreferences,
} from './shell/security';
import { clampToDisplays, loadBounds, saveBounds } from './shell/window-state';

const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url));
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

// The page's scripts are modules loaded in CORS mode (Vite marks them crossorigin), and since the page is split in
// files (the first screen's two, the detail view's and the dialogs' fetched later), each import is such a load:
// corsEnabled lets Chromium make them on this scheme, as electron-serve does for code-split apps.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) app.quit();

let mainWindow: BrowserWindow | null = null;

async function pickFolder(owner?: Electron.WebContents): Promise<string | null> {
  const win = (owner && BrowserWindow.fromWebContents(owner)) || mainWindow || undefined;
  const options: Electron.OpenDialogOptions = { title: 'Import a folder of photos', properties: ['openDirectory'] };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function pickModel(owner?: Electron.WebContents): Promise<string | null> {
  const win = (owner && BrowserWindow.fromWebContents(owner)) || mainWindow || undefined;
  const options = modelDialogOptions(process.platform);
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const picked = result.canceled ? undefined : result.filePaths[0];
  return picked ? modelPathOf(picked) : null;
}

async function pickLabelsFile(owner?: Electron.WebContents): Promise<string | null> {
  const win = (owner && BrowserWindow.fromWebContents(owner)) || mainWindow || undefined;
  const options = labelsDialogOptions();
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function saveFile(owner: Electron.WebContents, name: string, content: string): Promise<string | null> {
  const win = BrowserWindow.fromWebContents(owner) || mainWindow || undefined;
  const options = saveDialogOptions(name, app.getPath('downloads'));
  const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (result.canceled || !result.filePath) return null;
  await writeFile(result.filePath, content);
  return result.filePath;
}

function sendMenuCommand(command: MenuCommand): void {
  mainWindow?.webContents.send(MENU_CHANNEL, command);
}

async function refreshMenu(service: CoreService): Promise<void> {
  const recent = (await service.listDatasets({})).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const actions = {
    importFolder: () => void importFromDialog(service),
    openDataset: (dataset: { id: number }) => sendMenuCommand({ kind: 'openDataset', datasetId: dataset.id }),
    send: sendMenuCommand,
    openExternal: (url: string) => void (isVettedExternalUrl(url) && shell.openExternal(url)),
    theme: {
      current: nativeTheme.themeSource,
      set: (theme: 'system' | 'light' | 'dark') => {
        // The renderer follows prefers-color-scheme, which Electron derives from themeSource.
        nativeTheme.themeSource = theme;
        void refreshMenu(service);
      },
    },
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(recent, actions, process.platform === 'darwin')));
}

async function importFromDialog(service: CoreService): Promise<void> {
  const folder = await pickFolder();
  if (!folder) return;
  try {
    const started = await service.importFolder({ path: folder });
    app.addRecentDocument(folder);
    sendMenuCommand({ kind: 'imported', datasetId: started.datasetId, jobId: started.jobId });
    await refreshMenu(service);
  } catch (error) {
    dialog.showErrorBox('Could not import the folder', error instanceof Error ? error.message : String(error));
  }
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
  const stopProgress = service.on('jobProgress', (progress) => {
    if (!win.isDestroyed()) win.setProgressBar(taskbarProgress(progress));
    if (progress.state === 'done') void refreshMenu(service);
  });
  win.on('close', () => saveBounds(dataDir, win.getNormalBounds()));
  win.on('closed', () => {
    stopEvents();
    stopProgress();
    mainWindow = null;
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}

async function warnWhenGpuFails(service: CoreService): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const { backend } = await service.getInfo({});
    if (backend) {
      const problem = gpuProblem(backend.skipped);
      if (problem && mainWindow) {
        await dialog.showMessageBox(mainWindow, {
          type: 'warning',
          title: 'GPU backend not available',
          message: 'Sightline is running without the GPU.',
          detail: `${problem}\n\nIt runs on the ${backend.name} backend instead: everything works, only slower.`,
        });
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = process.env.SIGHTLINE_DATA_DIR ?? app.getPath('userData');
  mkdirSync(dataDir, { recursive: true });
  hardenSession(session.defaultSession);
  const service = await createCoreService({ dataDir, mode: 'electron' });
  protocol.handle(APP_SCHEME, (request) => handleAppRequest(request.url, rendererDir));
  protocol.handle(MEDIA_SCHEME, (request) => handleMediaRequest(request.url, service));
  bindIpc(ipcMain, service, { pickFolder, pickModel, pickLabelsFile });
  bindSaveFile(ipcMain, saveFile);
  ipcMain.handle(ipcChannel('revealImage'), (event, imageId: unknown) => {
    if (!isTrustedSender(event.senderFrame)) throw new Error("Refused revealImage: the sender is not the app's main frame");
    const file = typeof imageId === 'number' && Number.isSafeInteger(imageId) ? service.imagePath(imageId) : null;
    if (!file) throw new Error(`No image with id ${String(imageId)}`);
    shell.showItemInFolder(file);
  });
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, (url) => (isVettedExternalUrl(url) ? shell.openExternal(url) : undefined));
  });
  await refreshMenu(service);
  mainWindow = createWindow(service, dataDir);
  void warnWhenGpuFails(service);
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createWindow(service, dataDir);
  });
  app.on('window-all-closed', () => app.quit());
  // Quits once the service has closed: the library then writes the gallery's snapshot for the next start.
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void service.close().finally(() => {
      closed = true;
      app.quit();
    });
  });
}

start().catch((error: unknown) => {
  dialog.showErrorBox('Sightline could not start', error instanceof Error ? error.message : String(error));
  app.exit(1);
});
