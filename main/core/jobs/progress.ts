// Counts a job's progress and reports it at most every `minIntervalMs`, always including the last word.
import type { JobProgress, JobState, ScanSummary } from '../../../common/types';

export interface JobIdentity {
  jobId: string;
  datasetId: number;
  runId: number;
}

export class ProgressTracker {
  private current: JobState = 'running';
  private total = 0;
  /** Images finished (succeeded or failed), including those finished by earlier jobs of the run. */
  private done = 0;
  private failed = 0;
  private processedHere = 0;
  private message: string | null = null;
  private scan: ScanSummary | undefined;
  private startedAt: number;
  /** Time spent paused since `begin`, which the speed and the ETA leave out. */
  private pausedMs = 0;
  private pausedAt: number | null = null;
  private lastEmit = -Infinity;

  constructor(
    private readonly identity: JobIdentity,
    private readonly emit: (progress: JobProgress) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly minIntervalMs = 100,
  ) {
    this.startedAt = now();
  }

  get state(): JobState {
    return this.current;
  }

  /** The work is known: `total` images, of which `alreadyDone` need nothing. Starts the clock. */
  begin(total: number, alreadyDone: number): void {
    this.total = total;
    this.done = alreadyDone;
    this.startedAt = this.now();
    this.pausedMs = 0;
    this.message = null;
    this.report(true);
  }

  scanned(summary: ScanSummary): void {
    this.scan = summary;
    this.report(true);
  }

  setPaused(paused: boolean): void {
    if (!paused) this.endPause();
    else this.pausedAt ??= this.now();
    this.report(true);
  }

  note(message: string): void {
    this.message = message;
    this.report(true);
  }

  advance(succeeded: number, failed: number): void {
    this.done += succeeded + failed;
    this.failed += failed;
    this.processedHere += succeeded + failed;
    this.report(false);
  }

  finish(state: Exclude<JobState, 'queued' | 'running'>, message: string | null = null): void {
    this.endPause();
    this.current = state;
    this.message = message;
    this.report(true);
  }

  snapshot(): JobProgress {
    const t = this.now();
    const paused = this.pausedAt !== null;
    const pausedMs = this.pausedMs + (paused ? t - Math.max(this.pausedAt!, this.startedAt) : 0);
    const seconds = (t - this.startedAt - pausedMs) / 1000;
    const imagesPerSec = seconds > 0 ? this.processedHere / seconds : 0;
    const remaining = this.total - this.done;
    const running = this.current === 'running' && !paused;
    return {
      ...this.identity,
      state: this.current,
      done: this.done,
      total: this.total,
      failed: this.failed,
      imagesPerSec,
      etaSec: this.current === 'done' ? 0 : running && imagesPerSec > 0 ? remaining / imagesPerSec : null,
      message: this.message,
      paused,
      ...(this.scan ? { scan: this.scan } : {}),
    };
  }

  private endPause(): void {
    if (this.pausedAt === null) return;
    this.pausedMs += this.now() - Math.max(this.pausedAt, this.startedAt);
    this.pausedAt = null;
  }

  private report(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastEmit < this.minIntervalMs) return;
    this.lastEmit = t;
    this.emit(this.snapshot());
  }
}
