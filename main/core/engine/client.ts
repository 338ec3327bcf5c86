// The calling thread's side of the engine: proxies explain() to the worker and turns its replies, errors,
// crashes and silence into resolved or rejected promises. Every call settles: with the worker's answer, or
// with the reason it cannot come (the message could not be sent or read, the worker crashed, stopped, was
// disposed or went silent).
import type { Worker } from 'node:worker_threads';
import type { BackendReport } from '../../../common/types';
import type { WorkerMessage, WorkerReply } from './protocol';
import type { Engine, ExplainRequest, ExplainResult, ModelInfo } from './types';

export interface WorkerEngineOptions {
  /**
   * How long the worker may work on one request, per image in it, before the engine gives up, rejects every
   * pending call and stops the worker (default 10 minutes; Infinity: never). Every failure the protocol can
   * see already settles a call; this is the last resort for one it cannot, a run that never returns (e.g. a
   * native deadlock) while the worker lives. It is generous because a slow request is not a stuck one:
   * Score-CAM runs one forward pass per channel, synchronously on TF.js, so a VGG16 image can take minutes
   * on a slow machine without the worker's event loop turning once.
   */
  timeoutPerImageMs?: number;
}

const DEFAULT_TIMEOUT_PER_IMAGE_MS = 10 * 60_000;
/**
 * How long a worker asked to close may take before it is terminated (see stop()): on ONNX Runtime, longer than
 * any one synchronous call (creating a large model's session takes seconds on a slow machine); on TF.js, just
 * the time to read the message, as terminate() stops JavaScript and wasm safely.
 */
const CLOSE_GRACE_MS = { onnx: 60_000, tfjs: 1_000 };
/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Pending {
  images: number;
  resolve(results: ExplainResult[]): void;
  reject(error: Error): void;
}

export class WorkerEngine implements Engine {
  /** In the order they were sent, which is the order the worker answers them in. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  private exited = false;
  private stopped: Promise<void> | null = null;
  /** The clock of the oldest pending request, the one the worker is working on. */
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly model: ModelInfo,
    readonly backend: BackendReport,
    private readonly timeoutPerImageMs: number,
  ) {
    worker.on('message', (message: WorkerReply) => this.settle(message));
    // Replies come in request order, so a reply that cannot be read is the oldest pending request's.
    worker.on('messageerror', (error) => this.rejectOldest(new Error(`The engine's answer could not be read: ${error.message}`)));
    worker.on('error', (error) => this.fail(new Error(`The engine worker crashed: ${error.message}`)));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`The engine worker stopped (exit code ${code})`));
    });
  }

  /** Waits for the worker to load its model; rejects with the worker's message if it cannot. */
  static start(worker: Worker, { timeoutPerImageMs = DEFAULT_TIMEOUT_PER_IMAGE_MS }: WorkerEngineOptions = {}): Promise<WorkerEngine> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerReply) => {
        if (message.type !== 'ready' && message.type !== 'start-failed') return;
        cleanup();
        if (message.type === 'ready') {
          resolve(new WorkerEngine(worker, message.model, message.backend, timeoutPerImageMs));
        } else {
          void worker.terminate();
          reject(new Error(message.message));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new Error(`The engine worker crashed while starting: ${error.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`The engine worker stopped while starting (exit code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  /**
   * The worker gets a copy of `request.pixels`, transferred to it; the caller's array stays as it was. (Passing
   * the caller's own buffer would detach it, and Node 20 silently drops a message whose transfer list holds a
   * detached buffer: the same array passed twice, or a Buffer view, whose slice() is no copy, hung for ever.)
   */
  explain(request: ExplainRequest): Promise<ExplainResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (!(request.pixels instanceof Uint8Array)) {
      return Promise.reject(new Error(`pixels must be a Uint8Array of RGB bytes, not ${describe(request.pixels)}`));
    }
    const pixels = new Uint8Array(request.pixels);
    const id = this.nextId++;
    const message: WorkerMessage = { type: 'explain', id, request: { ...request, pixels } };
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage(message, [pixels.buffer]);
      } catch (error) {
        reject(new Error(`The request could not be sent to the engine worker: ${(error as Error).message}`));
        return;
      }
      const images = Number.isInteger(request.count) && request.count > 1 ? request.count : 1;
      this.pending.set(id, { images, resolve, reject });
      if (this.pending.size === 1) this.restartWatchdog();
    });
  }

  /** Rejects the pending calls at once, then stops the worker. */
  async dispose(): Promise<void> {
    this.fail(new Error('The engine was disposed'));
    await this.stop();
  }

  private settle(message: WorkerReply): void {
    if (message.type === 'unreadable') return this.rejectOldest(new Error(message.message));
    if (message.type !== 'result' && message.type !== 'error') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    this.restartWatchdog();
    if (message.type === 'result') pending.resolve(message.results);
    else pending.reject(new Error(message.message));
  }

  private rejectOldest(error: Error): void {
    const [oldest] = this.pending;
    if (!oldest) return;
    this.pending.delete(oldest[0]);
    this.restartWatchdog();
    oldest[1].reject(error);
  }

  /** Gives the oldest pending request, which the worker starts on now, its full time. */
  private restartWatchdog(): void {
    clearTimeout(this.watchdog);
    const [oldest] = this.pending.values();
    if (!oldest) return;
    const limit = this.timeoutPerImageMs * oldest.images;
    if (!Number.isFinite(limit)) return;
    this.watchdog = setTimeout(() => {
      this.fail(new Error(`The engine worker gave no answer in ${limit / 1000} s to a request of ${oldest.images} image(s); it was stopped`));
      void this.stop();
    }, Math.min(limit, MAX_TIMER_MS));
    // The worker, not this clock, decides whether the process stays alive.
    this.watchdog.unref();
  }

  /**
   * Asks the worker to close, and terminates it only if it has not exited after CLOSE_GRACE_MS.
   * worker.terminate() while the worker is inside a call to ONNX Runtime aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'", onnxruntime-node 1.30), and those calls
   * are synchronous: the worker reads `close` between two of them and exits there.
   */
  private stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const grace = this.backend.runtime?.name === 'onnxruntime' ? CLOSE_GRACE_MS.onnx : CLOSE_GRACE_MS.tfjs;
      const force = setTimeout(() => void this.worker.terminate(), grace);
      this.worker.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      const close: WorkerMessage = { type: 'close' };
      try {
        this.worker.postMessage(close);
      } catch {
        void this.worker.terminate();
      }
    });
    return this.stopped;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearTimeout(this.watchdog);
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
