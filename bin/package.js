#!/usr/bin/env node
// `npm run package`: builds the desktop packages with electron-builder when everything it needs is here,
// and otherwise says exactly what is missing (it never half-builds).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.js';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const missing = [];

const electron = findElectronBinary();
if (!('path' in electron)) missing.push(`Electron: ${electron.missing}. electron-builder needs it to assemble the app.`);
try {
  require.resolve('electron-builder/package.json');
} catch {
  missing.push('electron-builder is not installed: run `npm install` (it is a devDependency).');
}
if (!existsSync(join(appRoot, 'out', 'main', 'index.js'))) missing.push('The app is not built: run `npm run build` first.');

if (missing.length) {
  process.stderr.write(`Cannot package Sightline here:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
  process.exit(1);
}

const targets = { linux: ['--linux'], darwin: ['--mac'], win32: ['--win'] }[process.platform] ?? ['--linux'];
const builder = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js');
const result = spawnSync(process.execPath, [builder, ...targets, ...process.argv.slice(2)], { cwd: appRoot, stdio: 'inherit' });
process.exit(result.status ?? 1);
