// The desktop's "Save as…" for exports: the renderer hands a suggested name and the text, the main process asks
// where with the native dialog (starting in Downloads) and writes the file there. Guarded like pickFolder.
import type { IpcMain, IpcMainInvokeEvent, SaveDialogOptions, WebContents } from 'electron';
import path from 'node:path';
import { ipcChannel } from '../../common/calls';
import { isTrustedSender } from './security';

/** The largest export the renderer may hand over (an HTML report with its images inline stays well below). */
export const MAX_SAVE_BYTES = 256 * 1024 * 1024;

const FILTERS: Record<string, SaveDialogOptions['filters']> = {
  '.csv': [{ name: 'CSV table', extensions: ['csv'] }],
  '.html': [{ name: 'HTML report', extensions: ['html'] }],
  '.txt': [{ name: 'Text file', extensions: ['txt'] }],
};

/** The name and text of a save request, checked: a bare file name (no folders), a string body within the limit. */
export function checkSaveRequest(suggestedName: unknown, content: unknown, maxBytes = MAX_SAVE_BYTES): { name: string; content: string } {
  if (typeof suggestedName !== 'string' || suggestedName.trim() === '' || suggestedName.length > 255 || /[\\/\0]/.test(suggestedName)) {
    throw new Error('saveFile needs a file name without folders (at most 255 characters)');
  }
  if (typeof content !== 'string') throw new Error('saveFile needs the file content as text');
  if (Buffer.byteLength(content) > maxBytes) throw new Error(`The file is larger than ${maxBytes} bytes, the most the app saves`);
  return { name: suggestedName, content };
}

export function saveDialogOptions(name: string, downloadsDir: string): SaveDialogOptions {
  return {
    title: 'Save the export',
    defaultPath: path.join(downloadsDir, name),
    filters: [...(FILTERS[path.extname(name).toLowerCase()] ?? []), { name: 'All files', extensions: ['*'] }],
  };
}

/** Saves to the place the person picks; resolves with its path, or null when they cancel. */
export type SaveFile = (sender: WebContents, name: string, content: string) => Promise<string | null>;

export function bindSaveFile(ipcMain: Pick<IpcMain, 'handle'>, save: SaveFile): void {
  ipcMain.handle(ipcChannel('saveFile'), async (event: IpcMainInvokeEvent, suggestedName: unknown, content: unknown) => {
    if (!isTrustedSender(event.senderFrame)) throw new Error("Refused saveFile: the sender is not the app's main frame");
    const request = checkSaveRequest(suggestedName, content);
    return save(event.sender, request.name, request.content);
  });
}
