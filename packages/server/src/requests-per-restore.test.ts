// Neon requests per restore in the default flow (issue 23 point 7), counted at the emulator.
// Each request that is not an operation poll is one the flow needs: the live branch (read by
// the sweep that runs first, and reused), the restore call, the branches that show the swap
// (reused by the cleanup), the undo point's snapshot, and the "(old)" branch's deletion. Polls
// depend on operation durations; bench/restore-e2e.ts reports them at Neon's durations.
import type { Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('Neon requests per restore', () => {
  it('the default flow makes five requests besides operation polls', async () => {
    const tenant = await h.addTenant('count');
    const calls: string[] = [];
    const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(String(input), init);
      calls.push(`${request.method} ${new URL(request.url).pathname.replace(/^.*\/projects\/[^/]+/, '')}`);
      return h.neon.fetch(input, init);
    }) as typeof globalThis.fetch;
    const app = h.makeApp({
      reconcileIntervalMs: 300_000,
      neon: { apiKey: 'k', baseURL: h.neon.baseURL, fetch, timeoutMs: 2_000 },
    });
    const call = (path: string, init: RequestInit = {}) =>
      Promise.resolve(
        app.request(path, { ...init, headers: { 'x-tenant': 'count', 'content-type': 'application/json' } }),
      );
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const v1 = (
      await json<{ version: Version }>(await call('/versions', { method: 'POST', body: '{"label":"v1"}' }))
    ).version;
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    await call('/versions', { method: 'POST', body: '{"label":"v2"}' });
    await call('/versions');
    await app.api.idle();
    calls.length = 0;
    const events = await readEvents(await call(`/versions/${v1.id}/restore`, { method: 'POST', body: '{}' }));
    await app.api.idle();
    expect(events.at(-1)?.event).toBe('restore.succeeded');
    const polls = calls.filter((c) => c.startsWith('GET /operations'));
    expect(calls.filter((c) => !c.startsWith('GET /operations'))).toEqual([
      'GET /branches',
      `POST /snapshots/${v1.snapshotId}/restore`,
      'GET /branches',
      expect.stringMatching(/^POST \/branches\/[\w-]+\/snapshot$/),
      expect.stringMatching(/^DELETE \/branches\/[\w-]+$/),
    ]);
    // One wait each at least: the restore chain, the undo point, the deletion.
    expect(polls.length).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
