// The one app every runtime test serves: the handler as a platform would configure it, with
// the Neon base URL pointing at the emulator and the tenant taken from a header.
import { createRewind, memoryStore, type RewindStore } from '../src/index';

export function rewindApp(neonBaseURL: string, store: RewindStore = memoryStore()) {
  return createRewind({
    neon: { apiKey: 'runtime-test-key', baseURL: neonBaseURL },
    store,
    secret: 'runtime-test-secret-0123456789abcdef',
    resolveProject: (c) => {
      const projectId = c.req.header('x-project-id');
      return projectId ? { projectId } : null;
    },
    poll: { sparseMs: 200, denseMs: 25, deadlineMs: 60_000, failedGraceMs: 5_000 },
    retry: { baseMs: 20, capMs: 200 },
    heartbeatMs: 2_000,
  });
}
