// Whether ONNX Runtime's CUDA execution provider can run here, judged from files before any session starts:
// onnxruntime-node downloads the provider's library at install time (not from npm, so an offline install or
// --onnxruntime-node-install=skip leaves it out), and the library needs the NVIDIA driver and CUDA 12 / cuDNN 9.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type CudaDetection = { usable: true } | { usable: false; reason: string };

/** What the detection looks at; `currentCudaEnvironment()` reads this machine's. */
export interface CudaEnvironment {
  platform: string;
  arch: string;
  /** onnxruntime-node's native folder for this platform (bin/napi-v6/<platform>/<arch>). */
  providerFolder: string;
  /** LD_LIBRARY_PATH's folders. */
  libraryFolders: string[];
  /** The output of `ldconfig -p`: the libraries the dynamic loader finds without LD_LIBRARY_PATH. */
  ldconfigListing: string;
}

export const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';
export const NVIDIA_DRIVER_LIBRARY = 'libcuda.so.1';
/** The CUDA 12 / cuDNN 9 libraries onnxruntime-node 1.2x's CUDA provider loads. */
export const CUDA_RUNTIME_LIBRARIES = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcudnn.so.9'];

export function detectCuda(environment: CudaEnvironment = currentCudaEnvironment()): CudaDetection {
  const { platform, arch, providerFolder } = environment;
  if (platform !== 'linux' || arch !== 'x64') {
    return { usable: false, reason: `onnxruntime-node has a CUDA execution provider for linux-x64 only, not ${platform}-${arch}` };
  }
  if (!existsSync(path.join(providerFolder, CUDA_PROVIDER_LIBRARY))) {
    return {
      usable: false,
      reason:
        `CUDA provider library not installed: onnxruntime-node for linux-x64 has no ${CUDA_PROVIDER_LIBRARY} in ${providerFolder} ` +
        '(installed with onnxruntime-node-install=skip, or offline; ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node downloads it)',
    };
  }
  if (!findsLibrary(NVIDIA_DRIVER_LIBRARY, environment)) {
    return { usable: false, reason: `no NVIDIA driver (${NVIDIA_DRIVER_LIBRARY} not found)` };
  }
  const missing = CUDA_RUNTIME_LIBRARIES.filter((library) => !findsLibrary(library, environment));
  if (missing.length > 0) {
    return {
      usable: false,
      reason: `CUDA 12 / cuDNN 9 libraries not found: ${missing.join(', ')} (neither in ldconfig's cache nor in LD_LIBRARY_PATH)`,
    };
  }
  return { usable: true };
}

/** True when the dynamic loader would find `library` by its soname: in LD_LIBRARY_PATH or in ldconfig's cache. */
function findsLibrary(library: string, environment: CudaEnvironment): boolean {
  if (environment.libraryFolders.some((folder) => existsSync(path.join(folder, library)))) return true;
  // Lines read "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1".
  return environment.ldconfigListing.split('\n').some((line) => line.trim().split(/\s/)[0] === library);
}

export function currentCudaEnvironment(): CudaEnvironment {
  return {
    platform: process.platform,
    arch: process.arch,
    providerFolder: onnxRuntimeNativeFolder(),
    libraryFolders: (process.env.LD_LIBRARY_PATH ?? '').split(path.delimiter).filter(Boolean),
    ldconfigListing: process.platform === 'linux' ? ldconfigListing() : '',
  };
}

function onnxRuntimeNativeFolder(): string {
  const require = createRequire(import.meta.url);
  const packageFolder = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(packageFolder, 'bin', 'napi-v6', process.platform, process.arch);
}

/** ldconfig is in /sbin, which a normal user's PATH often lacks. */
function ldconfigListing(): string {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      return execFileSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // not there: try the next
    }
  }
  return '';
}
