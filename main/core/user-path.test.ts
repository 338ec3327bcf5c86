import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../common/errors';
import { expandHome, userFolder } from './user-path';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-user-path-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('paths a person types', () => {
  it('expands ~ and ~/… to the home folder and leaves everything else alone', () => {
    expect(expandHome('~', '/home/ada')).toBe('/home/ada');
    expect(expandHome('~/photos/cats', '/home/ada')).toBe('/home/ada/photos/cats');
    for (const other of ['/data/~', '~ada/photos', 'photos/~', '/abs']) expect(expandHome(other, '/home/ada')).toBe(other);
  });

  it('takes a folder and says what is wrong with anything else', async () => {
    expect(await userFolder(tmp)).toBe(tmp);
    writeFileSync(path.join(tmp, 'photo.jpg'), 'x');
    const failure = (p: string) => userFolder(p).catch((err: unknown) => err as UserError);
    expect(await failure(path.join(tmp, 'photo.jpg'))).toMatchObject({ status: 400, message: expect.stringMatching(/is a file, not a folder/) });
    expect(await failure(path.join(tmp, 'gone'))).toMatchObject({ status: 404, message: `There is no folder ${path.join(tmp, 'gone')}` });
    expect(await failure(path.join(tmp, 'gone'))).toBeInstanceOf(UserError);
  });
});
