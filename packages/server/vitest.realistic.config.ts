import { defineProject } from 'vitest/config';

// The restore tests again, against an emulator that behaves like the Neon public evidence shows:
// lists that lag, operations Rewind did not start holding the lock, restored branches
// `detaching`, no start_compute after a swap (see the emulator's REALISTIC_FAULTS).
export default defineProject({
  resolve: { conditions: ['@rewind/source'] },
  ssr: { resolve: { conditions: ['@rewind/source'], externalConditions: ['@rewind/source'] } },
  test: {
    name: 'server-realistic',
    environment: 'node',
    include: [
      'src/never-lies.test.ts',
      'src/restore.test.ts',
      'src/interrupted.test.ts',
      'src/previews.test.ts',
      'src/failures.test.ts',
    ],
    env: { REWIND_REALISTIC_NEON: '1' },
    testTimeout: 150_000,
    hookTimeout: 60_000,
  },
});
