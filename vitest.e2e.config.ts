import './vitest.polyfill';
import { defineConfig } from 'vitest/config';

// End-to-end tests: a real Chromium (Debian's) against the web host; Electron where its binary exists.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // expect.poll's one-second default is too short for a busy CI machine: a rename, a filter or a page of rows
    // can take longer to show; a test still fails, after 30 s, when it never does.
    expect: { poll: { timeout: 30_000 } },
  },
});
