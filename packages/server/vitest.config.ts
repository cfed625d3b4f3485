import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  // Node-environment tests resolve through the SSR environment: source-first there too.
  ssr: { resolve: { conditions: ['@rewind/source'], externalConditions: ['@rewind/source'] } },
  test: {
    name: 'server',
    environment: 'node',
    include: ['src/**/*.test.ts', 'runtime-tests/**/*.test.ts'],
    // A bound for a hung test, not a speed check: CI runs three files at once on two cores,
    // where these restores take about 2.5 times as long as alone.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
