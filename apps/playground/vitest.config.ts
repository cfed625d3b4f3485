import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  // Node-environment tests resolve through the SSR environment: source-first there too.
  ssr: { resolve: { conditions: ['@rewind/source'], externalConditions: ['@rewind/source'] } },
  test: {
    name: 'playground-e2e',
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
