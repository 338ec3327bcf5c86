// Binds every contract call to the core service over Electron IPC, after checking the sender and the input.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { CALL_NAMES, EVENT_NAMES, ipcChannel, ipcEventChannel } from '../../common/calls';
import { parseInput } from '../../common/contract';
import type { CallName } from '../../common/calls';
import type { CoreService } from '../core/service-types';
import { isTrustedSender } from './security';

type Handler = (event: IpcMainInvokeEvent, input: unknown) => Promise<unknown>;

/** One guarded handler: untrusted senders and invalid input are refused before the service sees them. */
export function guardedHandler(call: CallName, service: CoreService): Handler {
  return async (event, input) => {
    if (!isTrustedSender(event.senderFrame)) throw new Error(`Refused ${call}: the sender is not the app's main frame`);
    const parsed = parseInput(call, input);
    return (service[call] as (i: typeof parsed) => Promise<unknown>)(parsed);
  };
}

/** The native dialogs the renderer may open: each returns the chosen path, or null when cancelled. */
export interface NativePickers {
  pickFolder: (sender: WebContents) => Promise<string | null>;
  pickModel: (sender: WebContents) => Promise<string | null>;
  pickLabelsFile: (sender: WebContents) => Promise<string | null>;
}

export function bindIpc(ipcMain: Pick<IpcMain, 'handle'>, service: CoreService, pickers: NativePickers): void {
  for (const call of CALL_NAMES) ipcMain.handle(ipcChannel(call), guardedHandler(call, service));
  for (const name of ['pickFolder', 'pickModel', 'pickLabelsFile'] as const) {
    ipcMain.handle(ipcChannel(name), async (event: IpcMainInvokeEvent) => {
      if (!isTrustedSender(event.senderFrame)) throw new Error(`Refused ${name}: the sender is not the app's main frame`);
      return pickers[name](event.sender);
    });
  }
}

/** Forwards service events to a window; returns the unsubscribe function. */
export function forwardEvents(service: CoreService, target: Pick<WebContents, 'send' | 'isDestroyed'>): () => void {
  const offs = EVENT_NAMES.map((name) =>
    service.on(name, (payload) => {
      if (!target.isDestroyed()) target.send(ipcEventChannel(name), payload);
    }),
  );
  return () => offs.forEach((off) => off());
}
