// Messages between the calling thread (client.ts) and the engine's worker thread (worker.ts). The worker
// answers requests one at a time, in the order they came, and every request gets exactly one answer until
// the worker is closed: a result, an error, or `unreadable`, which answers the oldest request not yet
// answered (it is the one whose message could not be read: nothing else can name it).
import type { BackendReport } from '../../../common/types';
import type { ExplainRequest, ExplainResult, ModelInfo } from './types';

/** To the worker: a request, or `close`: exit now, leaving any request unanswered (the caller has settled them). */
export type WorkerMessage = { type: 'explain'; id: number; request: ExplainRequest } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; model: ModelInfo; backend: BackendReport }
  | { type: 'start-failed'; message: string }
  | { type: 'result'; id: number; results: ExplainResult[] }
  | { type: 'error'; id: number; message: string }
  | { type: 'unreadable'; message: string };
