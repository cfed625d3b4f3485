// The timeline at platform scale: served from the store, reconciled with Neon in the background
// at most once per interval per project (issue 13 point 3).
import {
  type ListVersionsResponse,
  RESTORE_EVENT,
  type RewindErrorJSON,
  type Version,
} from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** An app with the product's reconciliation (an interval) and every Neon request it makes. */
function counted(reconcileIntervalMs: number, clock?: () => number) {
  const paths: string[] = [];
  const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    paths.push(`${request.method} ${new URL(request.url).pathname.replace(/^.*\/projects\/[^/]+/, '')}`);
    return h.neon.fetch(input, init);
  }) as typeof globalThis.fetch;
  const app = h.makeApp({
    reconcileIntervalMs,
    ...(clock ? { runtime: { clock } } : {}),
    neon: { apiKey: 'k', baseURL: h.neon.baseURL, fetch, timeoutMs: 2_000 },
  });
  const call = (tenant: string, path: string, init: RequestInit = {}) =>
    Promise.resolve(
      app.request(path, {
        ...init,
        headers: { 'x-tenant': tenant, 'content-type': 'application/json', ...init.headers },
      }),
    );
  return { paths, call, idle: () => app.api.idle() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /versions/:id/changes', () => {
  it('says what each version changed against its parent, from stored schemas, with no Neon request', async () => {
    const tenant = await h.addTenant('changes');
    const { paths, call } = counted(300_000);
    const create = async (label: string) =>
      (
        await json<{ version: Version }>(
          await call('changes', '/versions', { method: 'POST', body: JSON.stringify({ label }) }),
        )
      ).version;
    await sql(tenant.uri, `CREATE TABLE contacts (id int PRIMARY KEY, name text)`);
    const v1 = await create('v1');
    await sql(tenant.uri, `ALTER TABLE contacts ADD COLUMN email text`);
    const v2 = await create('v2');
    await sql(tenant.uri, `CREATE TABLE notes (body text)`);
    const v3 = await create('v3');
    const v4 = await create('v4: data only');
    paths.length = 0;
    const changes = async (id: string) =>
      (
        await json<{
          changes: { tables: Array<{ name: string; change: string; addedColumns: string[] }> } | null;
        }>(await call('changes', `/versions/${id}/changes`))
      ).changes;
    expect((await changes(v1.id))?.tables).toEqual([
      expect.objectContaining({ name: 'public.contacts', change: 'added' }),
    ]);
    expect((await changes(v2.id))?.tables).toEqual([
      expect.objectContaining({ name: 'public.contacts', change: 'changed', addedColumns: ['email'] }),
    ]);
    expect((await changes(v3.id))?.tables).toEqual([
      expect.objectContaining({ name: 'public.notes', change: 'added' }),
    ]);
    expect((await changes(v4.id))?.tables).toEqual([]);
    expect(paths).toEqual([]);
    const missing = await call('changes', '/versions/vnope/changes');
    expect(missing.status).toBe(404);
  });
});

describe('GET /versions', () => {
  it('hides a version past its expiry without asking Neon', async () => {
    const tenant = await h.addTenant('expiring');
    await sql(tenant.uri, `CREATE TABLE t (v text)`);
    const now = counted(60_000);
    const keep = await json<{ version: Version }>(
      await now.call('expiring', '/versions', { method: 'POST', body: '{"label":"kept"}' }),
    );
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const soon = await now.call('expiring', '/versions', {
      method: 'POST',
      body: JSON.stringify({ label: 'expires', expiresAt }),
    });
    expect(soon.status).toBe(201);
    await now.call('expiring', '/versions');
    await now.idle();
    // Two minutes later (the instance's clock): the expired one is gone from the list at once.
    const later = counted(60_000, () => Date.now() + 120_000);
    await later.call('expiring', '/versions');
    await later.idle();
    later.paths.length = 0;
    const listed = await json<ListVersionsResponse>(await later.call('expiring', '/versions'));
    expect(listed.versions.map((v) => v.label)).toEqual(['kept']);
    expect(listed.versions[0]?.id).toBe(keep.version.id);
    expect(later.paths).toEqual([]);
  });

  it('makes no Neon request in steady state, and reconciles at most once per interval', async () => {
    const tenant = await h.addTenant('steady');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const { paths, call, idle } = counted(60_000);
    const made = await call('steady', '/versions', { method: 'POST', body: '{"label":"v1"}' });
    expect(made.status).toBe(201);
    const v1 = (await json<{ version: Version }>(made)).version;
    // The first view reconciles (in the background); settle it before counting.
    await call('steady', '/versions');
    await idle();
    paths.length = 0;
    for (let i = 0; i < 20; i++) {
      const listed = await json<ListVersionsResponse>(await call('steady', '/versions'));
      expect(listed.versions.map((v) => v.id)).toEqual([v1.id]);
      expect(listed.currentVersionId).toBe(v1.id);
      expect(listed.liveBranch.name).toBe('main');
    }
    expect(paths).toEqual([]);
  });

  it('drops a version whose snapshot was deleted out of band, on the next reconciliation', async () => {
    const tenant = await h.addTenant('out-of-band');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const { paths, call, idle } = counted(400);
    const v1 = (
      await json<{ version: Version }>(
        await call('out-of-band', '/versions', { method: 'POST', body: '{"label":"v1"}' }),
      )
    ).version;
    const v2 = (
      await json<{ version: Version }>(
        await call('out-of-band', '/versions', { method: 'POST', body: '{"label":"v2"}' }),
      )
    ).version;
    await h.api.deleteSnapshot(tenant.projectId, v1.snapshotId);
    await h.neon.settled(tenant.projectId);
    await sleep(450);
    paths.length = 0;
    // This view answers from the store and starts a reconciliation; the next one shows its result.
    const before = await json<ListVersionsResponse>(await call('out-of-band', '/versions'));
    expect(before.versions.map((v) => v.id).sort()).toEqual([v1.id, v2.id].sort());
    await idle();
    const after = await json<ListVersionsResponse>(await call('out-of-band', '/versions'));
    expect(after.versions.map((v) => v.id)).toEqual([v2.id]);
    expect(paths.filter((p) => p.endsWith('/snapshots')).length).toBeGreaterThan(0);
  });

  it('a restore of a version whose snapshot Neon no longer has: a typed error, and the version is dropped', async () => {
    const tenant = await h.addTenant('gone');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const { call, idle } = counted(60_000);
    const v1 = (
      await json<{ version: Version }>(
        await call('gone', '/versions', { method: 'POST', body: '{"label":"v1"}' }),
      )
    ).version;
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    const v2 = (
      await json<{ version: Version }>(
        await call('gone', '/versions', { method: 'POST', body: '{"label":"v2"}' }),
      )
    ).version;
    // The first list reconciles (in the background); the next is not due for a minute.
    await call('gone', '/versions');
    await idle();
    // Expired in Neon; the store still lists it, and the restore is what finds it gone.
    await h.api.deleteSnapshot(tenant.projectId, v1.snapshotId);
    await h.neon.settled(tenant.projectId);
    expect(
      (await json<ListVersionsResponse>(await call('gone', '/versions'))).versions.map((v) => v.id),
    ).toContain(v1.id);
    const response = await call('gone', `/versions/${v1.id}/restore`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const last = events.at(-1);
    expect(last?.event).toBe(RESTORE_EVENT.failed);
    const error = (last?.data as RewindErrorJSON | undefined)?.error;
    expect(error?.code).toBe('not_found');
    expect(error?.details).toMatchObject({ snapshotGone: true, versionId: v1.id });
    const listed = await json<ListVersionsResponse>(await call('gone', '/versions'));
    expect(listed.versions.map((v) => v.id)).toEqual([v2.id]);
    expect(listed.currentVersionId).toBe(v2.id);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
    await h.neon.settled(tenant.projectId);
    const branches = (await h.api.listProjectBranches({ projectId: tenant.projectId })).data.branches;
    expect(branches.map((b) => b.name)).toEqual(['main']);
  });
});
