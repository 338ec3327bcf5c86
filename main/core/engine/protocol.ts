// Messages between the calling thread (client.ts) and the engine's worker thread (worker.ts).
import type { BackendReport } from '../../../common/types';
import type { ExplainRequest, ExplainResult, ModelInfo } from './types';

export interface ExplainMessage {
  id: number;
  request: ExplainRequest;
}

export type WorkerReply =
  | { type: 'ready'; model: ModelInfo; backend: BackendReport }
  | { type: 'start-failed'; message: string }
  | { type: 'result'; id: number; results: ExplainResult[] }
  | { type: 'error'; id: number; message: string };
