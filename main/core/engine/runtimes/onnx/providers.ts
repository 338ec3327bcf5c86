// Picks ONNX Runtime's execution provider like the TF.js backend chain: CUDA → DirectML → CoreML → CPU,
// and says why each skipped one was skipped. A provider counts as available when this onnxruntime-node
// build lists it, its libraries are there (bundled, or for CUDA installed beside the package) and a one-node
// session starts on it.
import ort from 'onnxruntime-node';
import { EXECUTION_PROVIDER_TITLES } from '../../../../../common/engine';
import { detectCuda, type CudaDetection } from '../../gpu';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './graph-builder';

export const PROVIDER_CHAIN = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_CHAIN)[number];

export interface ProviderReport {
  name: ProviderName;
  skipped: { name: ProviderName; reason: string }[];
}

export interface ListedBackend {
  name: string;
  bundled: boolean;
}

/** `listed`, `probe` and `cuda` are the real package's and this machine's unless a test swaps them. */
export async function selectProvider(
  forced?: ProviderName,
  listed: ListedBackend[] = ort.listSupportedBackends(),
  probe: (name: ProviderName) => Promise<void> = probeSession,
  cuda: () => CudaDetection = detectCuda,
): Promise<ProviderReport> {
  const skipped: ProviderReport['skipped'] = [];
  for (const name of forced ? [forced] : PROVIDER_CHAIN) {
    const failure = await tryProvider(name, listed, probe, cuda);
    if (failure === null) return { name, skipped };
    if (forced) throw new Error(`ONNX Runtime's ${EXECUTION_PROVIDER_TITLES[name]} execution provider is not available: ${failure}`);
    skipped.push({ name, reason: failure });
  }
  throw new Error(`No ONNX Runtime execution provider could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

async function tryProvider(
  name: ProviderName,
  listed: ListedBackend[],
  probe: (name: ProviderName) => Promise<void>,
  cuda: () => CudaDetection,
): Promise<string | null> {
  const entry = listed.find((backend) => backend.name === name);
  const build = `onnxruntime-node ${ort.env.versions.node ?? ''} for ${process.platform}-${process.arch}`;
  if (!entry) return `${build} has no ${EXECUTION_PROVIDER_TITLES[name]} execution provider`;
  // The package never ships CUDA's libraries (`bundled` stays false for it): its install script downloads them.
  if (name === 'cuda') {
    const detection = cuda();
    if (!detection.usable) return detection.reason;
  } else if (!entry.bundled) {
    return `${build} does not ship the ${EXECUTION_PROVIDER_TITLES[name]} execution provider's libraries`;
  }
  try {
    await probe(name);
    return null;
  } catch (error) {
    return `the ${EXECUTION_PROVIDER_TITLES[name]} execution provider failed to start: ${(error as Error).message}`;
  }
}

let probeModel: Uint8Array | null = null;

/** Starts a session of one Relu node on the provider, and runs it once. */
async function probeSession(name: ProviderName): Promise<void> {
  probeModel ??= reluModel();
  const session = await ort.InferenceSession.create(probeModel, { executionProviders: [name] });
  try {
    await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 1), [2]) });
  } finally {
    await session.release();
  }
}

function reluModel(): Uint8Array {
  const b = new GraphBuilder();
  b.op('Relu', [b.reserve('x')], {}, 'relu', b.reserve('y'));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'probe', node: b.nodes, input: [floatValueInfo('x', [2])], output: [floatValueInfo('y', [2])] },
  });
  return onnx.ModelProto.encode(model).finish();
}
