import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  // Node-environment tests resolve through the SSR environment: source-first there too.
  ssr: { resolve: { conditions: ['@rewind/source'], externalConditions: ['@rewind/source'] } },
  test: {
    name: 'ui',
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
  },
});
