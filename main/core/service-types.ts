import type { Writable } from 'node:stream';
import type { CallInput, MediaKind, Service } from '../../common/contract';

/** The core service as the Node-side transports see it: the contract plus media bytes and shutdown. */
export interface CoreService extends Service {
  /** Bytes for an image id the database knows; null for anything else. Never takes a path. */
  readMedia(kind: MediaKind, imageId: number): Promise<{ body: Buffer; mime: string } | null>;
  /** The absolute path of an image the database knows (for "reveal in file manager"); null otherwise. */
  imagePath(imageId: number): string | null;
  /** The CSV report streamed to `out` (a file, an HTTP response): flat memory for any number of images. */
  exportCsvTo(input: CallInput<'exportCsv'>, out: Writable): Promise<{ rows: number }>;
  close(): Promise<void>;
}

export interface CoreServiceOptions {
  /** The user data folder: library.db and caches live here. */
  dataDir: string;
  /** The library database file, when it lives elsewhere (default: library.db in dataDir). */
  libraryFile?: string;
  /** Imports compute only this shard of each folder's files (`analyze --shard i/n`). */
  shard?: import('./store/shard-owner').Shard;
  mode: 'electron' | 'web';
  /**
   * A model folder or file to add to the library's models and make active (the CLI's --model). The bundled
   * MobileNet (resources/models/mobilenet_v1_0.75_224) joins every library on its first start either way.
   */
  modelDir?: string;
  /** Default: resources/samples. */
  samplesDir?: string;
  /** Passed to the engine (tests force a backend). */
  backend?: import('../../common/types').BackendName;
  /** Passed to the engine: what runs a TF.js layers model (default auto: ONNX Runtime when it converts). */
  runtime?: import('./engine/types').EngineRuntimeChoice;
  /** Images per engine call and per database transaction (default 8; tests use smaller ones). */
  batchSize?: number;
  /**
   * `eager` (default): the active model's engine starts and warms up when the service starts, so the first import
   * runs at full speed. `on-demand`: it starts with the first call that needs it (an import, a run, a map computed
   * on request), so a server that is there for review keeps the engine's 400-odd MB free (`serve --engine on-demand`).
   */
  engineStart?: EngineStart;
  /**
   * Whether opening the library starts reading its latest dataset for the gallery (default true). A process that
   * shows no gallery (`sightline analyze`, `models`) passes false: at a million photos that read is 4–6 s of CPU.
   */
  galleryPreload?: boolean;
}

export const ENGINE_STARTS = ['eager', 'on-demand'] as const;
export type EngineStart = (typeof ENGINE_STARTS)[number];

/** Implemented in main/core/service.ts. */
export type CreateCoreService = (options: CoreServiceOptions) => Promise<CoreService>;
