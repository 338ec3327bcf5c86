// Speed and ETA on a hand-driven clock: pauses are left out, and a paused job has no ETA.
import { expect, it } from 'vitest';
import type { JobProgress } from '../../../common/types';
import { ProgressTracker } from './progress';

it('reports images/s and ETA from the time spent working, leaving pauses out', () => {
  let t = 0;
  const events: JobProgress[] = [];
  const tracker = new ProgressTracker({ jobId: 'j', datasetId: 1, runId: 2 }, (p) => events.push(p), () => t, 0);
  tracker.begin(100, 20);
  t = 4000;
  tracker.advance(7, 1);
  expect(tracker.snapshot()).toMatchObject({ done: 28, failed: 1, total: 100, imagesPerSec: 2, etaSec: 36, paused: false });

  tracker.setPaused(true);
  t = 64_000;
  expect(tracker.snapshot()).toMatchObject({ paused: true, etaSec: null, imagesPerSec: 2 });
  tracker.setPaused(false);
  t = 68_000;
  tracker.advance(8, 0);
  // 16 images in 8 working seconds, 56 to go.
  expect(tracker.snapshot()).toMatchObject({ done: 36, imagesPerSec: 2, etaSec: 32, paused: false });

  tracker.scanned({ added: 3, changed: 1, removed: 2, unchanged: 94 });
  tracker.finish('done');
  expect(events.at(-1)).toMatchObject({ state: 'done', etaSec: 0, scan: { added: 3, changed: 1, removed: 2, unchanged: 94 } });
});
