import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  // Node-environment tests resolve through the SSR environment: source-first there too.
  ssr: { resolve: { conditions: ['@rewind/source'], externalConditions: ['@rewind/source'] } },
  test: { name: 'agent', environment: 'node', testTimeout: 120_000, hookTimeout: 60_000 },
});
