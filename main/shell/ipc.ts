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

export function bindIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  service: CoreService,
  pickFolder: (sender: WebContents) => Promise<string | null>,
): void {
  for (const call of CALL_NAMES) ipcMain.handle(ipcChannel(call), guardedHandler(call, service));
  ipcMain.handle(ipcChannel('pickFolder'), async (event: IpcMainInvokeEvent) => {
    if (!isTrustedSender(event.senderFrame)) throw new Error("Refused pickFolder: the sender is not the app's main frame");
    return pickFolder(event.sender);
  });
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
