// Runs jobs in the background, remembers their progress for listJobs, and cancels, pauses and resumes them.
import { randomUUID } from 'node:crypto';
import type { JobProgress } from '../../../common/types';
import { JobControl } from './control';
import { ProgressTracker, type JobIdentity } from './progress';

interface Job {
  runId: number;
  progress: ProgressTracker;
  control: JobControl;
  finished: Promise<void>;
}

export type JobWork = (control: JobControl, progress: ProgressTracker) => Promise<void>;

export class JobManager {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly emit: (progress: JobProgress) => void) {}

  /** Starts `work`; it must report its own end through the tracker and not reject. */
  start(target: Omit<JobIdentity, 'jobId'>, work: JobWork): string {
    const jobId = randomUUID();
    const progress = new ProgressTracker({ jobId, ...target }, this.emit);
    const control = new JobControl();
    const finished = work(control, progress);
    this.jobs.set(jobId, { runId: target.runId, progress, control, finished });
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
    const job = this.running(jobId);
    job?.control.cancel();
    return job !== null;
  }

  /** Stops the job between two batches; the batches already in the engine are finished and stored. */
  pause(jobId: string): boolean {
    const job = this.running(jobId);
    if (!job?.control.pause()) return false;
    job.progress.setPaused(true);
    return true;
  }

  resume(jobId: string): boolean {
    const job = this.running(jobId);
    if (!job?.control.resume()) return false;
    job.progress.setPaused(false);
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
    for (const job of this.jobs.values()) job.control.cancel();
    await Promise.all([...this.jobs.values()].map((job) => job.finished));
  }

  private running(jobId: string): Job | null {
    const job = this.jobs.get(jobId);
    return job && isRunning(job) ? job : null;
  }
}

function isRunning(job: Job): boolean {
  return job.progress.state === 'running';
}
