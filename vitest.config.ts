import { defineConfig } from 'vitest/config';

// Each package owns its Vitest project; the root only lists them.
export default defineConfig({
  test: {
    // Vitest's default is one worker per core minus one: one worker on CI's two cores. These
    // suites mostly wait (Neon operation durations, leases, streams), so three workers halve
    // the wall time (20 → 12 min on this machine, same 369 tests passing).
    maxWorkers: 3,
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.storybook.config.ts',
      'packages/*/vitest.realistic.config.ts',
      'apps/*/vitest.config.ts',
    ],
  },
});
