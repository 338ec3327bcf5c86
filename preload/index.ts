// Exposes exactly the contract's Api to the renderer, and nothing else (contextIsolation + sandbox).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { callsOver, EVENT_NAMES, ipcChannel, ipcEventChannel, MENU_CHANNEL } from '../common/calls';
import type { Api, EventName, EventPayloads, MediaKind, MenuCommand } from '../common/contract';

function subscribe<T>(channel: string, listener: (payload: T) => void): () => void {
  const wrapped = (_event: Electron.IpcRendererEvent, payload: T): void => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => ipcRenderer.removeListener(channel, wrapped);
}

const api = {
  ...callsOver((call, input) => ipcRenderer.invoke(ipcChannel(call), input)),
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`);
    return subscribe(ipcEventChannel(event), listener);
  },
  mediaUrl: (kind: MediaKind, imageId: number): string => `sightline-media://${kind}/${Math.trunc(imageId)}`,
  pickFolder: (): Promise<string | null> => ipcRenderer.invoke(ipcChannel('pickFolder')),
  pickModel: (): Promise<string | null> => ipcRenderer.invoke(ipcChannel('pickModel')),
  pickLabelsFile: (): Promise<string | null> => ipcRenderer.invoke(ipcChannel('pickLabelsFile')),
  pathForDroppedFile: (file: unknown): string | null => {
    try {
      return webUtils.getPathForFile(file as File) || null;
    } catch {
      return null;
    }
  },
  onMenuCommand: (listener: (command: MenuCommand) => void): (() => void) => subscribe(MENU_CHANNEL, listener),
  revealImage: (imageId: number): Promise<void> => ipcRenderer.invoke(ipcChannel('revealImage'), imageId),
  saveFile: (suggestedName: string, content: string): Promise<string | null> => ipcRenderer.invoke(ipcChannel('saveFile'), suggestedName, content),
} satisfies Api;

contextBridge.exposeInMainWorld('sightline', api);
