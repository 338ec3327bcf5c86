import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bundleFile } from './renderer-bundle';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bundle-'));
const bundle = path.join(dir, 'renderer');
mkdirSync(bundle);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('maps URL paths inside the bundle to a file and its type, and refuses the rest', () => {
  expect(bundleFile(bundle, '/')).toEqual({ file: path.join(bundle, 'index.html'), type: 'text/html; charset=utf-8' });
  expect(bundleFile(bundle, '/assets/app-1a2b.js')).toEqual({ file: path.join(bundle, 'assets', 'app-1a2b.js'), type: 'text/javascript; charset=utf-8' });
  for (const bad of ['/../secret.html', '/%2e%2e/secret.html', '/..%2fsecret.html', '/a%5c..%5c..%5csecret.html', '/index.html%00.png', '/%E0%A4%A', '/data.db']) {
    expect(bundleFile(bundle, bad), bad).toBeNull();
  }
});
