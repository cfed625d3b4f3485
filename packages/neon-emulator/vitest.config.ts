import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  test: {
    name: 'neon-emulator',
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
