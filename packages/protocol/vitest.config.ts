import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  test: { name: 'protocol', environment: 'node' },
});
