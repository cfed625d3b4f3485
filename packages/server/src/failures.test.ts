import { PGlite } from '@electric-sql/pglite';
import {
  type ListVersionsResponse,
  RESTORE_EVENT,
  type RewindErrorJSON,
  type Version,
} from '@rewind/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlStore } from './stores/sql-store';
import { type Harness, json, readEvents, sql, startHarness, type Tenant } from './test/harness';

let h: Harness;
let acme: Tenant;
beforeAll(async () => {
  h = await startHarness({ emulator: { limits: { maxSnapshots: 6 } } });
  acme = await h.addTenant('acme');
  await sql(acme.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
});
afterAll(() => h.close());
afterEach(() => h.neon.faults.reset());

async function version(label: string, tenant = 'acme'): Promise<Response> {
  return h.request(tenant, '/versions', { method: 'POST', body: JSON.stringify({ label }) });
}
async function branchNames(projectId = acme.projectId) {
  const { data } = await h.api.listProjectBranches({ projectId });
  return data.branches.map((b) => b.name).sort();
}

describe('failed restores leave nothing half done', () => {
  it('an operation error: typed failure, live data and branches untouched, undo version removed, lock free', async () => {
    const v1 = (await json<{ version: Version }>(await version('v1'))).version;
    await sql(acme.uri, `UPDATE t SET v = 'v2'`);
    const before = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    h.neon.faults.set({ operations: [{ action: 'create_branch', outcome: 'error' }] });
    const events = await readEvents(
      await h.request('acme', `/versions/${v1.id}/restore`, { method: 'POST', body: '{}' }),
    );
    const last = events.at(-1);
    expect(last?.event).toBe(RESTORE_EVENT.failed);
    expect(last?.data).toMatchObject({ error: { code: 'operation_failed', status: 502 } });
    await h.neon.settled(acme.projectId);
    expect(await sql(acme.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
    const after = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(after.versions.map((v) => v.id)).toEqual(before.versions.map((v) => v.id));
    expect(after.currentVersionId).toBe(before.currentVersionId);
    expect(after.activeRestore).toBeNull();
    // The sweep on the next mutation removes whatever Neon still held.
    expect((await version('after failure')).status).toBe(201);
    expect(await branchNames()).toEqual(['main']);
  });

  it('an operation `failed` past the grace is not reported failed while Neon retries it: the follower hears what Neon did', async () => {
    const slowRetry = await startHarness({ emulator: { retryDelayMs: 4_000 } });
    try {
      const tenant = await slowRetry.addTenant('slow');
      await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
      const v = (
        await json<{ version: Version }>(
          await slowRetry.request('slow', '/versions', { method: 'POST', body: '{"label":"x"}' }),
        )
      ).version;
      await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
      slowRetry.neon.faults.set({
        operations: [{ action: 'create_branch', outcome: 'failed', failures: 1 }],
      });
      const events = await readEvents(
        await slowRetry.request('slow', `/versions/${v.id}/restore`, {
          method: 'POST',
          body: '{"undoable":false}',
        }),
      );
      const failedOps = events.filter(
        (e) => e.event === RESTORE_EVENT.operation && e.data.status === 'failed',
      );
      expect(failedOps.length).toBeGreaterThan(0);
      // Neon retried and restored: that, and only that, is what the log says.
      expect(events.filter((e) => e.event === RESTORE_EVENT.failed)).toEqual([]);
      expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
      expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
      const list = await json<ListVersionsResponse>(await slowRetry.request('slow', '/versions'));
      expect(list.currentVersionId).toBe(v.id);
      await slowRetry.neon.settled(tenant.projectId);
    } finally {
      await slowRetry.close();
    }
  });

  it('a deadline overrun leaves the outcome to Neon: no false failure, and nothing left behind', async () => {
    const v = (await json<{ version: Version }>(await version('timeout target'))).version;
    const impatient = h.makeApp({
      poll: { sparseMs: 50, denseMs: 20, deadlineMs: 150, failedGraceMs: 1_000 },
    });
    h.neon.faults.set({ latencyMs: 0, operations: [] });
    const response = await impatient.request(`/versions/${v.id}/restore`, {
      method: 'POST',
      headers: { 'x-tenant': 'acme', 'content-type': 'application/json' },
      body: '{"undoable":false}',
    });
    const events = await readEvents(response);
    expect(events.filter((e) => e.event === RESTORE_EVENT.failed)).toEqual([]);
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    await h.neon.settled(acme.projectId);
    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.currentVersionId).toBe(v.id);
    expect(await branchNames()).toEqual(['main']);
  });
});

describe('Neon retries and typed errors', () => {
  it('retries 423 and 429 (honouring Retry-After) and 503, then succeeds', async () => {
    h.neon.faults.set({
      http: [
        { status: 423, method: 'POST', path: '/snapshot', times: 2 },
        { status: 429, method: 'GET', path: '/branches', times: 1, retryAfter: 1 },
        { status: 503, method: 'GET', path: '/operations', times: 2 },
      ],
    });
    const started = Date.now();
    const response = await version('through the storm');
    expect(response.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited the Retry-After second
  });

  it('surfaces a storm that outlasts the retries as a typed error', async () => {
    h.neon.faults.set({ http: [{ status: 503, method: 'GET', path: '/branches', times: 50 }] });
    const unavailable = await version('no luck');
    expect(unavailable.status).toBe(503);
    expect((await json<RewindErrorJSON>(unavailable)).error.code).toBe('neon_unavailable');
    h.neon.faults.set({
      http: [{ status: 429, method: 'GET', path: '/branches', times: 5, retryAfter: 120 }],
    });
    const limited = await version('no luck');
    expect(limited.status).toBe(429);
    expect((await json<RewindErrorJSON>(limited)).error.code).toBe('rate_limited');
    h.neon.faults.set({ http: [{ status: 423, method: 'POST', path: '/snapshot', times: 50 }] });
    const locked = await version('no luck');
    expect((await json<RewindErrorJSON>(locked)).error.code).toBe('locked');
    // Nothing of these attempts was stored.
    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.versions.map((v) => v.label)).not.toContain('no luck');
  });

  it('maps the snapshot quota to quota_exceeded', async () => {
    const quota = await startHarness({ emulator: { limits: { maxSnapshots: 1 } } });
    try {
      await quota.addTenant('q');
      const create = (label: string) =>
        quota.request('q', '/versions', { method: 'POST', body: JSON.stringify({ label }) });
      expect((await create('first')).status).toBe(201);
      const over = await create('second');
      expect(over.status).toBe(422);
      expect((await json<RewindErrorJSON>(over)).error).toMatchObject({ code: 'quota_exceeded' });
    } finally {
      await quota.close();
    }
  });
});

describe('many instances sharing a SQL store', () => {
  it('lets one instance run the restore while another refuses a second one and follows the first', async () => {
    const db = new PGlite();
    try {
      const store = sqlStore((text, params) => db.query(text, params));
      await store.migrate();
      const a = h.makeApp({ store });
      const b = h.makeApp({ store });
      const tenant = await h.addTenant('shared');
      const headers = { 'x-tenant': 'shared', 'content-type': 'application/json' };
      const made = await a.request('/versions', { method: 'POST', headers, body: '{"label":"shared v1"}' });
      const v = (await json<{ version: Version }>(made)).version;
      // Instance B sees the version A stored.
      const seen = await json<ListVersionsResponse>(await b.request('/versions', { headers }));
      expect(seen.versions.map((x) => x.id)).toEqual([v.id]);

      const running = await a.request(`/versions/${v.id}/restore`, { method: 'POST', headers, body: '{}' });
      expect(running.status).toBe(200);
      const second = await b.request(`/versions/${v.id}/restore`, { method: 'POST', headers, body: '{}' });
      expect(second.status).toBe(409);
      const { error } = await json<RewindErrorJSON>(second);
      const token = (error.details?.restore as { token?: string } | undefined)?.token as string;
      const [fromA, fromB] = await Promise.all([
        readEvents(running),
        readEvents(await b.request(`/restores/${token}/events`, { headers })),
      ]);
      expect(fromA.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
      expect(fromB.map((e) => [e.id, e.event])).toEqual(fromA.map((e) => [e.id, e.event]));
      expect(await branchNames(tenant.projectId)).toEqual(['main']);
    } finally {
      await db.close();
    }
  });
});
