import './vitest.polyfill';
import { defineConfig } from 'vitest/config';

// Unit and integration tests in plain Node: real model, real SQLite, real photos.
export default defineConfig({
  test: {
    include: ['common/**/*.test.ts', 'main/**/*.test.ts', 'renderer/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
