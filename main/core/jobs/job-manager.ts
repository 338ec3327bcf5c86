// Runs jobs in the background, remembers their progress for listJobs, and cancels them.
import { randomUUID } from 'node:crypto';
import type { JobProgress } from '../../../common/types';
import { ProgressTracker, type JobIdentity } from './progress';

interface Job {
  runId: number;
  progress: ProgressTracker;
  controller: AbortController;
  finished: Promise<void>;
}

export type JobWork = (signal: AbortSignal, progress: ProgressTracker) => Promise<void>;

export class JobManager {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly emit: (progress: JobProgress) => void) {}

  /** Starts `work`; it must report its own end through the tracker and not reject. */
  start(target: Omit<JobIdentity, 'jobId'>, work: JobWork): string {
    const jobId = randomUUID();
    const progress = new ProgressTracker({ jobId, ...target }, this.emit);
    const controller = new AbortController();
    const finished = work(controller.signal, progress);
    this.jobs.set(jobId, { runId: target.runId, progress, controller, finished });
    return jobId;
  }

  /** The running job of this run, if any: a second import of the same run joins it. */
  runningFor(runId: number): string | null {
    for (const [jobId, job] of this.jobs) {
      if (job.runId === runId && isRunning(job)) return jobId;
    }
    return null;
  }

  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || !isRunning(job)) return false;
    job.controller.abort();
    return true;
  }

  list(): JobProgress[] {
    return [...this.jobs.values()].map((job) => job.progress.snapshot());
  }

  /** Resolves when the job has ended (at once for an unknown id). */
  async settled(jobId: string): Promise<void> {
    await this.jobs.get(jobId)?.finished;
  }

  async cancelAll(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    await Promise.all([...this.jobs.values()].map((job) => job.finished));
  }
}

function isRunning(job: Job): boolean {
  return job.progress.state === 'running';
}
