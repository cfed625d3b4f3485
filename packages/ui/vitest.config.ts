import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  test: {
    name: 'ui',
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
  },
});
