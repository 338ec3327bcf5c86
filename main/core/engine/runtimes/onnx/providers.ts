// Picks ONNX Runtime's execution provider like the TF.js backend chain: CUDA → DirectML → CoreML → CPU,
// and says why each skipped one was skipped. A provider counts as available when this onnxruntime-node
// build lists it as bundled and a one-node session starts on it.
import ort from 'onnxruntime-node';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './graph-builder';

export const PROVIDER_CHAIN = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_CHAIN)[number];

export interface ProviderReport {
  name: ProviderName;
  skipped: { name: ProviderName; reason: string }[];
}

const PROVIDER_TITLES: Record<ProviderName, string> = { cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

export interface ListedBackend {
  name: string;
  bundled: boolean;
}

/** `listed` and `probe` are the real package's unless a test swaps them. */
export async function selectProvider(
  forced?: ProviderName,
  listed: ListedBackend[] = ort.listSupportedBackends(),
  probe: (name: ProviderName) => Promise<void> = probeSession,
): Promise<ProviderReport> {
  const skipped: ProviderReport['skipped'] = [];
  for (const name of forced ? [forced] : PROVIDER_CHAIN) {
    const failure = await tryProvider(name, listed, probe);
    if (failure === null) return { name, skipped };
    if (forced) throw new Error(`ONNX Runtime's ${PROVIDER_TITLES[name]} execution provider is not available: ${failure}`);
    skipped.push({ name, reason: failure });
  }
  throw new Error(`No ONNX Runtime execution provider could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

async function tryProvider(name: ProviderName, listed: ListedBackend[], probe: (name: ProviderName) => Promise<void>) {
  const entry = listed.find((backend) => backend.name === name);
  const build = `onnxruntime-node ${ort.env.versions.node ?? ''} for ${process.platform}-${process.arch}`;
  if (!entry) return `${build} has no ${PROVIDER_TITLES[name]} execution provider`;
  if (!entry.bundled) return `${build} does not ship the ${PROVIDER_TITLES[name]} execution provider's libraries`;
  try {
    await probe(name);
    return null;
  } catch (error) {
    return `the ${PROVIDER_TITLES[name]} execution provider failed to start: ${(error as Error).message}`;
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
