import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipcChannel } from '../../common/calls';
import { bindSaveFile, checkSaveRequest, saveDialogOptions, type SaveFile } from './save-file';

describe('the desktop save dialog for exports', () => {
  it('takes a bare file name and text, and says what is wrong with anything else', () => {
    expect(checkSaveRequest('sightline-cats.csv', 'a,b\r\n')).toEqual({ name: 'sightline-cats.csv', content: 'a,b\r\n' });
    expect(() => checkSaveRequest('../../.bashrc', 'x')).toThrow(/without folders/);
    expect(() => checkSaveRequest('C:\\evil.csv', 'x')).toThrow(/without folders/);
    expect(() => checkSaveRequest('', 'x')).toThrow(/file name/);
    expect(() => checkSaveRequest('a.csv', 42)).toThrow(/as text/);
    // The limit counts bytes, not characters: four euro signs are 12 bytes.
    expect(() => checkSaveRequest('a.csv', '€€€€', 10)).toThrow(/larger than 10 bytes/);
    expect(checkSaveRequest('a.csv', '€€€', 10).content).toBe('€€€');
  });

  it('starts in the downloads folder with the suggested name and a filter for its kind', () => {
    const options = saveDialogOptions('sightline-cats-run2.html', '/home/me/Downloads');
    expect(options.defaultPath).toBe(path.join('/home/me/Downloads', 'sightline-cats-run2.html'));
    expect(options.filters?.[0]).toEqual({ name: 'HTML report', extensions: ['html'] });
    expect(saveDialogOptions('list.paths.txt', '/d').filters?.map((f) => f.name)).toEqual(['Text file', 'All files']);
  });

  it("writes through the IPC channel only for the app's own main frame, after checking the request", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-save-'));
    try {
      const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
      // The "dialog" picks a file in the temp folder and writes there, as the real one does where the person chose.
      const save: SaveFile = async (_sender, name, content) => {
        const file = path.join(dir, name);
        writeFileSync(file, content);
        return file;
      };
      bindSaveFile({ handle: (channel: string, handler: never) => void handlers.set(channel, handler) } as never, save);
      const handler = handlers.get(ipcChannel('saveFile'))!;
      const app = { senderFrame: { url: 'sightline-app://bundle/index.html', parent: null }, sender: {} };
      expect(await handler(app, 'report.csv', 'a,b\r\n')).toBe(path.join(dir, 'report.csv'));
      expect(readFileSync(path.join(dir, 'report.csv'), 'utf8')).toBe('a,b\r\n');
      const evil = { senderFrame: { url: 'https://evil.example/', parent: null }, sender: {} };
      await expect(handler(evil, 'x.csv', 'x')).rejects.toThrow(/Refused saveFile/);
      await expect(handler(app, '../x.csv', 'x')).rejects.toThrow(/without folders/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
