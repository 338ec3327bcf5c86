// detectCuda on folder layouts built from real (empty) files in a temporary folder: each missing piece gives its
// own reason, and a complete layout, found through LD_LIBRARY_PATH or ldconfig's listing, counts as usable.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUDA_PROVIDER_LIBRARY,
  CUDA_RUNTIME_LIBRARIES,
  NVIDIA_DRIVER_LIBRARY,
  currentCudaEnvironment,
  detectCuda,
  type CudaEnvironment,
} from './gpu';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-gpu-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding these (empty) files. */
function folderWith(name: string, files: string[]): string {
  const folder = path.join(root, name);
  mkdirSync(folder, { recursive: true });
  for (const file of files) writeFileSync(path.join(folder, file), '');
  return folder;
}

function ldconfigLine(library: string): string {
  return `\t${library} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/${library}`;
}

function linux(overrides: Partial<CudaEnvironment>): CudaEnvironment {
  return { platform: 'linux', arch: 'x64', providerFolder: '', libraryFolders: [], ldconfigListing: '', ...overrides };
}

describe('detectCuda', () => {
  it('says the provider library is not installed when onnxruntime-node has no CUDA provider beside it', () => {
    const providerFolder = folderWith('skip-install', ['libonnxruntime.so.1', 'onnxruntime_binding.node']);
    const detection = detectCuda(linux({ providerFolder, ldconfigListing: ldconfigLine(NVIDIA_DRIVER_LIBRARY) }));
    expect(detection).toEqual({
      usable: false,
      reason:
        `CUDA provider library not installed: onnxruntime-node for linux-x64 has no ${CUDA_PROVIDER_LIBRARY} in ${providerFolder} ` +
        '(installed with onnxruntime-node-install=skip, or offline; ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node downloads it)',
    });
  });

  it('says there is no NVIDIA driver when libcuda.so.1 is nowhere the loader looks', () => {
    const providerFolder = folderWith('cuda-install', [CUDA_PROVIDER_LIBRARY]);
    const runtimes = folderWith('cuda-runtimes', CUDA_RUNTIME_LIBRARIES);
    const listing = ['560 libs found in cache `/etc/ld.so.cache\'', ldconfigLine('libz.so.1'), ldconfigLine('libcudart.so.12')].join('\n');
    expect(detectCuda(linux({ providerFolder, libraryFolders: [runtimes], ldconfigListing: listing }))).toEqual({
      usable: false,
      reason: 'no NVIDIA driver (libcuda.so.1 not found)',
    });
  });

  it('names the CUDA 12 / cuDNN 9 libraries it cannot find', () => {
    const providerFolder = folderWith('cuda-install', [CUDA_PROVIDER_LIBRARY]);
    const partial = folderWith('partial-runtimes', ['libcudart.so.12', 'libcublas.so.12']);
    const detection = detectCuda(linux({ providerFolder, libraryFolders: [partial], ldconfigListing: ldconfigLine(NVIDIA_DRIVER_LIBRARY) }));
    expect(detection).toEqual({
      usable: false,
      reason: 'CUDA 12 / cuDNN 9 libraries not found: libcublasLt.so.12, libcudnn.so.9 (neither in ldconfig\'s cache nor in LD_LIBRARY_PATH)',
    });
  });

  it('counts a full layout as usable, its libraries found in LD_LIBRARY_PATH folders or in ldconfig\'s cache', () => {
    const providerFolder = folderWith('cuda-install', [CUDA_PROVIDER_LIBRARY]);
    const [first, ...rest] = CUDA_RUNTIME_LIBRARIES;
    const libraryFolders = [folderWith('empty', []), folderWith('cudart-only', [first])];
    const ldconfigListing = [NVIDIA_DRIVER_LIBRARY, ...rest].map(ldconfigLine).join('\n');
    expect(detectCuda(linux({ providerFolder, libraryFolders, ldconfigListing }))).toEqual({ usable: true });
  });

  it('does not take a library whose name only starts like the one it needs', () => {
    const providerFolder = folderWith('cuda-install', [CUDA_PROVIDER_LIBRARY]);
    const listing = [ldconfigLine('libcuda.so.1.1'), ldconfigLine('libcuda.so')].join('\n');
    expect(detectCuda(linux({ providerFolder, ldconfigListing: listing }))).toMatchObject({ usable: false, reason: expect.stringContaining('no NVIDIA driver') });
  });

  it('says onnxruntime-node has CUDA for linux-x64 only elsewhere', () => {
    const providerFolder = folderWith('mac-install', [CUDA_PROVIDER_LIBRARY]);
    expect(detectCuda(linux({ platform: 'darwin', arch: 'arm64', providerFolder }))).toEqual({
      usable: false,
      reason: 'onnxruntime-node has a CUDA execution provider for linux-x64 only, not darwin-arm64',
    });
  });

  it('reads this machine: onnxruntime-node\'s own native folder and ldconfig\'s cache', () => {
    const environment = currentCudaEnvironment();
    expect(environment.providerFolder).toMatch(/onnxruntime-node[/\\]bin[/\\]napi-v6[/\\]/);
    if (process.platform === 'linux') expect(environment.ldconfigListing).toMatch(/libc\.so\.6 /);
    expect(detectCuda(environment)).toEqual(detectCuda());
  });
});
