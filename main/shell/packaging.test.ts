// The packaging configuration is checked here because building the packages needs Electron's binary.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../bin/electron-binary.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

describe('electron-builder configuration', () => {
  it('sets the security fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });

  it('builds for Linux, macOS and Windows with native modules rebuilt and unpacked, and the bundled resources', () => {
    expect((config.linux as { target: string[] }).target).toEqual(['AppImage', 'deb']);
    expect((config.mac as { target: string[] }).target).toEqual(['dmg']);
    expect((config.win as { target: string[] }).target).toEqual(['nsis']);
    expect(config.npmRebuild).toBe(true);
    const unpacked = (config.asarUnpack as string[]).join(' ');
    for (const part of ['better-sqlite3', 'sharp', '@img', 'tfjs-backend-wasm', 'tfjs-node-gpu', 'engine-worker.js', 'gallery-worker.js']) expect(unpacked).toContain(part);
    const resources = config.extraResources as { from: string; filter: string[] }[];
    expect(resources[0].from).toBe('resources');
    expect(resources[0].filter).toEqual(expect.arrayContaining(['models/**', 'samples/**', 'licenses/**', 'LICENSES.md']));
  });

  it('unpacks every runtime dependency that ships native code or wasm (a .node file cannot load from inside an asar)', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const unpacked = config.asarUnpack as string[];
    const shipsBinaries = (dir: string): boolean =>
      readdirSync(dir, { withFileTypes: true }).some((entry) =>
        entry.isDirectory()
          ? entry.name !== 'node_modules' && shipsBinaries(path.join(dir, entry.name))
          : /\.(node|wasm)$/.test(entry.name) || /\.(so|dylib|dll)(\.\d+)*$/.test(entry.name),
      );
    const native = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).filter((name) => {
      const dir = path.join(root, 'node_modules', name);
      return existsSync(dir) && shipsBinaries(dir);
    });
    // better-sqlite3 is built from source here; onnxruntime-node and the wasm backend ship binaries.
    expect(native).toEqual(expect.arrayContaining(['better-sqlite3', 'onnxruntime-node', '@tensorflow/tfjs-backend-wasm']));
    for (const name of native) expect(unpacked.some((pattern) => pattern.includes(`node_modules/${name}/`)), name).toBe(true);
  });

  const electronInstalled = 'path' in findElectronBinary();
  it.skipIf(electronInstalled)(`npm run package says what is missing instead of failing halfway${electronInstalled ? ' (skipped: Electron is installed, nothing is missing)' : ''}`, async () => {
    const result = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'package.js')]).catch((e: { code: number; stderr: string }) => e);
    expect('code' in result ? result.code : 0).toBe(1);
    expect(result.stderr).toMatch(/Cannot package Sightline here:[\s\S]*Electron: /);
  });
});
