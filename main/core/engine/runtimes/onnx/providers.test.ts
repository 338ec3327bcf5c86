// The execution-provider chain with the package's list and the probe swapped for fakes.
import { describe, expect, it } from 'vitest';
import { selectProvider, type ProviderName } from './providers';

const ok = async () => undefined;

describe('selectProvider', () => {
  it('takes CUDA when the build ships it and a session starts on it', async () => {
    const report = await selectProvider(undefined, [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: true }], ok);
    expect(report).toEqual({ name: 'cuda', skipped: [] });
  });

  it('falls back to CPU and gives a reason for each provider it skipped', async () => {
    const failing = async (name: ProviderName) => {
      if (name === 'cuda') throw new Error('libcudnn.so.9: cannot open shared object file');
    };
    const report = await selectProvider(
      undefined,
      [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: true }, { name: 'coreml', bundled: false }],
      failing,
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
});
