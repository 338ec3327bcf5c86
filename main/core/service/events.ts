// The contract's events: the jobs' progress, handed to every listener a transport has subscribed.
import type { Service } from '../../../common/contract';
import type { JobProgress } from '../../../common/types';

export interface ServiceEvents extends Pick<Service, 'on'> {
  /** Tells every listener. */
  jobProgress(progress: JobProgress): void;
  /** Forgets every listener. */
  clear(): void;
}

export function createEvents(): ServiceEvents {
  const listeners = new Set<(progress: JobProgress) => void>();
  return {
    on(event, listener) {
      if (event !== 'jobProgress') throw new Error(`Unknown event ${event}`);
      const typed = listener as (progress: JobProgress) => void;
      listeners.add(typed);
      return () => listeners.delete(typed);
    },
    jobProgress(progress) {
      listeners.forEach((listener) => listener(progress));
    },
    clear() {
      listeners.clear();
    },
  };
}
