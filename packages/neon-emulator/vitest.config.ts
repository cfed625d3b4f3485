import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  test: {
    name: 'neon-emulator',
    environment: 'node',
    // PGlite instances are heavy (≈200 MB, 0.5-1 s to load): files run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
