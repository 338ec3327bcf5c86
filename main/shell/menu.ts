// The native menu. Actions that need the UI's state (export the dataset on screen, toggle its overlay)
// are sent to the renderer as MenuCommands; importing runs here, then tells the UI what started.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../common/contract';
import type { DatasetSummary } from '../../common/types';

export type ThemeSource = 'system' | 'light' | 'dark';

export interface MenuActions {
  importFolder(): void;
  /** The current theme choice and how to change it (Electron's nativeTheme.themeSource). */
  theme?: { current: ThemeSource; set(theme: ThemeSource): void };
  openDataset(dataset: DatasetSummary): void;
  send(command: MenuCommand): void;
  openExternal(url: string): void;
}

export const HELP_URLS = {
  gradcam: 'https://arxiv.org/abs/1610.02391',
  source: 'https://github.com/jacobgil/pytorch-grad-cam',
} as const;

export function menuTemplate(recent: DatasetSummary[], actions: MenuActions, isMac: boolean): MenuItemConstructorOptions[] {
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? recent.slice(0, 10).map((dataset) => ({ label: `${dataset.name} — ${dataset.rootPath}`, click: () => actions.openDataset(dataset) }))
    : [{ label: 'No recent folders', enabled: false }];
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Import Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.importFolder() },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        { label: 'Export CSV…', accelerator: 'CmdOrCtrl+E', click: () => actions.send({ kind: 'exportCsv' }) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { label: 'Toggle Heatmap Overlay', accelerator: 'Z', registerAccelerator: false, click: () => actions.send({ kind: 'toggleOverlay' }) },
        {
          label: 'Theme',
          submenu: (['system', 'light', 'dark'] as const).map((theme) => ({
            label: { system: 'Follow the System', light: 'Light', dark: 'Dark' }[theme],
            type: 'radio' as const,
            checked: (actions.theme?.current ?? 'system') === theme,
            enabled: Boolean(actions.theme),
            click: () => actions.theme?.set(theme),
          })),
        },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Keyboard Shortcuts', accelerator: '?', registerAccelerator: false, click: () => actions.send({ kind: 'showShortcuts' }) },
        { label: 'About Grad-CAM (paper)', click: () => actions.openExternal(HELP_URLS.gradcam) },
        { label: 'Reference implementation (pytorch-grad-cam)', click: () => actions.openExternal(HELP_URLS.source) },
      ],
    },
  ];
}

/** Taskbar/dock progress for a job: a fraction while running, -1 (none) when it has ended. */
export function taskbarProgress(progress: { state: string; done: number; total: number }): number {
  if (progress.state !== 'running' && progress.state !== 'queued') return -1;
  if (progress.total <= 0) return 2; // Electron's "indeterminate"
  return Math.min(1, progress.done / progress.total);
}

/** A GPU backend that is installed but failed to load deserves a dialog; one that is simply absent does not. */
export function gpuProblem(skipped: { name: string; reason: string }[]): string | null {
  const gpu = skipped.find((s) => s.name === 'tensorflow-gpu');
  return gpu && !/not installed/i.test(gpu.reason) ? gpu.reason : null;
}
