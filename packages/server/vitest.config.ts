import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  test: {
    name: 'server',
    environment: 'node',
    include: ['src/**/*.test.ts', 'runtime-tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
