import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSaveRequest, saveDialogOptions } from './save-file';

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
});
