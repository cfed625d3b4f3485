import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeonEmulatorServer, startNeonEmulator } from '../src/server';
import { runNeonctlScenario } from './neonctl-scenario';

// Neon's own CLI, from npm, drives the emulator over HTTP through projects, branches, databases,
// roles, connection-string, snapshots create/list/restore --finalize/delete and operations; the
// data read back through the unchanged connection string is the snapshot's.
describe('neonctl against the emulator', () => {
  let neon: NeonEmulatorServer;
  beforeAll(async () => {
    neon = await startNeonEmulator({ port: 0, apiKeys: ['conformance-key'], operationDurationMs: 100 });
  });
  afterAll(() => neon?.close());

  it('succeeds at every step', async () => {
    const lines: string[] = [];
    const results = await runNeonctlScenario({
      apiHost: neon.baseURL,
      apiKey: 'conformance-key',
      ssl: 'omit',
      log: (line) => lines.push(line),
    }).catch((error) => {
      throw new Error(`${String(error).slice(0, 300)}\n${lines.join('\n')}`);
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.step)).toContain('snapshots restore --finalize');
    expect(results.at(-1)?.step).toBe('projects delete');
  }, 240_000);

  it('refuses an API key it was not given', async () => {
    const response = await fetch(`${neon.baseURL}/projects`, { headers: { authorization: 'Bearer other' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: 'authentication required' });
  });
});
