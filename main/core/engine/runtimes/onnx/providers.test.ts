// The execution-provider chain with the package's list, the probe and the CUDA file check swapped for fakes.
import { describe, expect, it } from 'vitest';
import { selectProvider, type ProviderName } from './providers';

const ok = async () => undefined;
const cudaUsable = () => ({ usable: true }) as const;

describe('selectProvider', () => {
  it('takes CUDA when its libraries are installed and a session starts on it', async () => {
    // The real package lists CUDA as not bundled: its install script downloads the provider's library.
    const report = await selectProvider(undefined, [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }], ok, cudaUsable);
    expect(report).toEqual({ name: 'cuda', skipped: [] });
  });

  it("skips CUDA with the file check's reason, without starting a session on it", async () => {
    const probed: ProviderName[] = [];
    const probe = async (name: ProviderName) => void probed.push(name);
    const noDriver = () => ({ usable: false, reason: 'no NVIDIA driver (libcuda.so.1 not found)' }) as const;
    const report = await selectProvider(undefined, [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }], probe, noDriver);
    expect(report.name).toBe('cpu');
    expect(report.skipped[0]).toEqual({ name: 'cuda', reason: 'no NVIDIA driver (libcuda.so.1 not found)' });
    expect(probed).toEqual(['cpu']);
  });

  it('falls back to CPU and gives a reason for each provider it skipped', async () => {
    const failing = async (name: ProviderName) => {
      if (name === 'cuda') throw new Error('libcudnn.so.9: cannot open shared object file');
    };
    const report = await selectProvider(
      undefined,
      [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }, { name: 'coreml', bundled: false }],
      failing,
      cudaUsable,
    );
    expect(report.name).toBe('cpu');
    expect(report.skipped.map((skip) => skip.name)).toEqual(['cuda', 'dml', 'coreml']);
    expect(report.skipped[0].reason).toBe('the CUDA execution provider failed to start: libcudnn.so.9: cannot open shared object file');
    expect(report.skipped[1].reason).toMatch(/has no DirectML execution provider/);
    expect(report.skipped[2].reason).toMatch(/does not ship the CoreML execution provider's libraries/);
  });

  it('fails with the reason when a forced provider is missing', async () => {
    await expect(selectProvider('dml', [{ name: 'cpu', bundled: true }], ok)).rejects.toThrow(
      /ONNX Runtime's DirectML execution provider is not available: onnxruntime-node .* has no DirectML execution provider/,
    );
  });

  it('starts a real session on this machine’s CPU provider', async () => {
    expect((await selectProvider('cpu')).name).toBe('cpu');
  });

  it("fails with the file check's reason when CUDA is forced where it cannot run", async () => {
    const noLibrary = () => ({ usable: false, reason: 'CUDA provider library not installed' }) as const;
    await expect(selectProvider('cuda', [{ name: 'cuda', bundled: false }], ok, noLibrary)).rejects.toThrow(
      "ONNX Runtime's CUDA execution provider is not available: CUDA provider library not installed",
    );
  });
});
