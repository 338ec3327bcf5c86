// Exposes exactly the contract's Api to the renderer, and nothing else (contextIsolation + sandbox).
import { contextBridge, ipcRenderer } from 'electron';
import { CALL_NAMES, EVENT_NAMES, ipcChannel, ipcEventChannel } from '../common/calls';
import type { Api, EventName, EventPayloads, MediaKind } from '../common/contract';

const calls = Object.fromEntries(
  CALL_NAMES.map((call) => [call, (input: unknown) => ipcRenderer.invoke(ipcChannel(call), input ?? {})]),
);

const api = {
  ...calls,
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`);
    const channel = ipcEventChannel(event);
    const wrapped = (_e: Electron.IpcRendererEvent, payload: EventPayloads[E]): void => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => ipcRenderer.removeListener(channel, wrapped);
  },
  mediaUrl: (kind: MediaKind, imageId: number): string => `sightline-media://${kind}/${Math.trunc(imageId)}`,
  pickFolder: (): Promise<string | null> => ipcRenderer.invoke(ipcChannel('pickFolder')),
} as Api;

contextBridge.exposeInMainWorld('sightline', api);
