import os from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Files that must have the machine to themselves: the long-task check and the backend
 * calibration (train), and the worker's silence window (restart).
 */
const ALONE = ['e2e/train.e2e.ts', 'e2e/restart.e2e.ts'];

const common = { testTimeout: 240_000, hookTimeout: 120_000, pool: 'forks' as const };

/**
 * Browser tests: the real app (its production build, see e2e/global-setup.ts), real workers,
 * Debian's Chromium via playwright-core. Two files at a time where the machine has the cores, then
 * the files that must run alone, one by one. One file at a time left a core idle much of the
 * time (README, Tests).
 */
export default defineConfig({
  test: {
    globalSetup: ['e2e/global-setup.ts'],
    projects: [
      {
        test: {
          ...common,
          name: 'browser',
          include: ['e2e/**/*.e2e.ts'],
          exclude: ALONE,
          maxWorkers: Math.min(2, os.availableParallelism()),
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'browser-alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
