import type { ListVersionsResponse, RestoreEvent, Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRewindAdmin } from './admin';
import { newRestoreRecord } from './restore/restore-machine';
import { memoryStore } from './stores/memory-store';
import type { LockHolder, RewindStore, StoredVersion } from './stores/store';
import { expectStatus, type Harness, json, readEvents, sql, startHarness } from './test/harness';
import type { RestoreRecord } from './types';

// An instance that dies mid-restore, as a crash or an edge runtime ending `waitUntil` would: at
// the store call `dies` picks (before it or just after it), every call it makes to the shared
// store stops returning, so it never writes again nor renews its lease. `bury` ends it for good
// once the test has looked.
type Death = (method: string, args: unknown[]) => 'before' | 'after' | false;
function mortal(store: RewindStore, dies: Death) {
  let dead = false;
  const graves: Array<(error: Error) => void> = [];
  const grave = () => new Promise((_, reject) => graves.push(reject));
  const proxy = new Proxy(store, {
    get(target, key: keyof RewindStore) {
      const method = target[key] as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        if (dead) return grave();
        const when = dies(String(key), args);
        if (when) dead = true;
        if (when === 'before') return grave();
        return method.apply(target, args);
      };
    },
  });
  const bury = () => {
    for (const reject of graves) reject(new Error('instance gone'));
  };
  return { store: proxy, bury };
}

const committed = (args: unknown[], test: (r: RestoreRecord, events: RestoreEvent[]) => boolean) => {
  const options = args[1] as { events?: RestoreEvent[] };
  return test(args[0] as RestoreRecord, options.events ?? []);
};
/** Just after resolving the live branch (the intent is written): before Neon is asked to restore (it is asked for the undo snapshot). */
const afterIntent: Death = (method, args) =>
  method === 'commitRestore' && committed(args, (r) => r.phase === 'live-resolved') && 'after';
/** Just after recording Neon's answer to the restore call: Neon finishes the restore on its own. */
const afterNeonAsked: Death = (method, args) =>
  method === 'commitRestore' && committed(args, (r) => r.phase === 'asked') && 'after';
/** Once the restore took effect, as it starts deleting the "(old)" branch. */
const atCleanup: Death = (method, args) =>
  method === 'commitRestore' &&
  committed(args, (_r, events) => events.some((e) => e.event === 'restore.cleanup')) &&
  'before';
/** At its very first write: the record with its `restore.started` event. */
const atFirstWrite: Death = (method) => method === 'commitRestore' && 'before';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function withDeadInstance(
  name: string,
  dies: Death,
  check: (run: Awaited<ReturnType<typeof setUp>>) => Promise<void>,
) {
  const run = await setUp(name, dies);
  try {
    await check(run);
  } finally {
    await run.started.body?.cancel();
    run.instance.bury();
  }
}

async function setUp(name: string, dies: Death) {
  const tenant = await h.addTenant(name);
  await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
  const shared = memoryStore();
  const instance = mortal(shared, dies);
  // A short lease so the test does not wait 30 s for the dead instance's claim to lapse; not
  // shorter: the in-process emulator blocks this event loop for over a second each time it opens
  // a branch's Postgres, and B must keep its leases through that (see the harness).
  const a = h.makeApp({
    store: instance.store,
    restoreLeaseMs: 2_500,
    neon: {
      apiKey: 'test-neon-key',
      baseURL: h.neon.baseURL,
      fetch: h.neon.fetch as typeof fetch,
      timeoutMs: 400,
    },
  });
  // B counts the short locks it takes: settling a dead restore takes one.
  let mutationLocks = 0;
  const counted = new Proxy(shared, {
    get(target, key: keyof RewindStore) {
      const method = target[key] as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        if (key === 'acquireLock' && (args[1] as LockHolder).kind === 'mutation') mutationLocks++;
        return method.apply(target, args);
      };
    },
  });
  const b = h.makeApp({
    store: counted,
    restoreLeaseMs: 2_500,
    neon: {
      apiKey: 'test-neon-key',
      baseURL: h.neon.baseURL,
      fetch: h.neon.fetch as typeof fetch,
      timeoutMs: 400,
    },
  });
  // What the test does besides following and settling (versions, the undo) goes through a third
  // instance with the harness's lease: B's short one is for settling quickly, and a version's
  // snapshot (the emulator's data dump, on this event loop) can outlast it under CI's load.
  const c = h.makeApp({ store: shared });
  const headers = { 'x-tenant': name, 'content-type': 'application/json' };
  /** Create a version through C (a live instance). */
  const create = async (label: string) =>
    expectStatus(c.request('/versions', { method: 'POST', headers, body: JSON.stringify({ label }) }), 201);
  const v1 = (await json<{ version: Version }>(await create('v1'))).version;
  await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
  const v2 = (await json<{ version: Version }>(await create('v2'))).version;
  const snapshotsBefore = (await h.api.listSnapshots(tenant.projectId)).data.snapshots.length;
  // Instance A starts restoring v1 and dies; B, sharing the store, is where the user follows it.
  const started = await a.request(`/versions/${v1.id}/restore`, { method: 'POST', headers, body: '{}' });
  expect(started.status).toBe(200);
  const token = started.headers.get('rewind-restore-token') as string;
  const follow = async (): Promise<RestoreEvent[]> =>
    readEvents(await b.request(`/restores/${token}/events`, { headers }));
  const list = async () => json<ListVersionsResponse>(await b.request('/versions', { headers }));
  const branches = async () =>
    (await h.api.listProjectBranches({ projectId: tenant.projectId })).data.branches
      .map((x) => x.name)
      .sort();
  const snapshots = async () => (await h.api.listSnapshots(tenant.projectId)).data.snapshots.length;
  return {
    tenant,
    instance,
    started,
    follow,
    list,
    branches,
    snapshots,
    snapshotsBefore,
    v1,
    v2,
    headers,
    create,
    mutationLocks: () => mutationLocks,
    c,
  };
}

describe('a restore whose instance dies is settled from what Neon shows', () => {
  it('dies after writing its intent, before Neon restored anything: nothing changes, nothing leaks', async () => {
    // A dies right after recording the intent: it still asks Neon for the undo snapshot, then
    // hangs before recording it. Neon holds a snapshot no version refers to.
    await withDeadInstance('early', afterIntent, async (run) => {
      const events = await run.follow();
      const last = events.at(-1);
      expect(last?.event).toBe('restore.failed');
      expect(last?.data).toMatchObject({
        error: { code: 'operation_failed', details: { interrupted: true } },
      });
      await h.neon.settled(run.tenant.projectId);
      expect(await sql(run.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
      const after = await run.list();
      expect(after.versions.map((v) => v.label)).toEqual(['v1', 'v2']);
      expect(after.currentVersionId).toBe(run.v2.id);
      expect(after.activeRestore).toBeNull();
      // The undo snapshot A took for nothing is gone, found by its name.
      expect(await run.snapshots()).toBe(run.snapshotsBefore);
      expect(await run.branches()).toEqual(['main']);
      // The project is free again.
      expect((await run.create('v3')).status).toBe(201);
    });
  });

  it('dies after Neon was asked to restore: Neon finishes it, and it is recorded as done', async () => {
    await withDeadInstance('late', afterNeonAsked, async (run) => {
      const events = await run.follow();
      expect(events.at(-1)).toMatchObject({
        event: 'restore.succeeded',
        data: { versionId: run.v1.id },
      });
      await h.neon.settled(run.tenant.projectId);
      expect(await sql(run.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
      const after = await run.list();
      expect(after.currentVersionId).toBe(run.v1.id);
      // The version A took before restoring is kept, and Undo points at it.
      const undo = after.versions.find((v) => v.kind === 'pre-restore');
      expect(events.at(-1)?.data).toMatchObject({ undoVersionId: undo?.id });
      // The "(old)" branch A never got to delete is gone.
      expect(await run.branches()).toEqual(['main']);
      const undone = await run.c.request('/undo', { method: 'POST', headers: run.headers, body: '{}' });
      expect((await readEvents(undone)).at(-1)?.event).toBe('restore.succeeded');
      expect(await sql(run.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
    });
  });

  it('many followers on one instance share one attempt to settle it', async () => {
    await withDeadInstance('crowd', afterIntent, async (run) => {
      // A slow Neon, so the followers' checks overlap as they would against the real API.
      h.neon.faults.set({ latencyMs: 300 });
      const locksBefore = run.mutationLocks();
      const all = await Promise.all(Array.from({ length: 12 }, () => run.follow())).finally(() =>
        h.neon.faults.reset(),
      );
      const last = all.map((events) => events.at(-1));
      expect(new Set(last.map((e) => `${e?.id} ${e?.event}`)).size).toBe(1);
      expect(last[0]?.event).toBe('restore.failed');
      // One lock per settling attempt (a second if Neon was still busy), not one per follower
      // (without sharing, 12 followers retrying the lock took well over a hundred here).
      expect(run.mutationLocks() - locksBefore).toBeLessThanOrEqual(2);
    });
  });

  it('dies while cleaning up after the switch: reported as done, the "(old)" branch still goes', async () => {
    await withDeadInstance('cleanup', atCleanup, async (run) => {
      const events = await run.follow();
      const offered = events.find((e) => e.event === 'restore.undo-available');
      const undoVersionId = (offered?.data as { undoVersionId?: string } | undefined)?.undoVersionId;
      expect(undoVersionId).toMatch(/^v/);
      expect(events.at(-1)).toMatchObject({
        event: 'restore.succeeded',
        data: {
          versionId: run.v1.id,
          undoVersionId,
        },
      });
      expect((await run.list()).currentVersionId).toBe(run.v1.id);
      await h.neon.settled(run.tenant.projectId);
      expect(await run.branches()).toEqual(['main']);
      expect(await sql(run.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
    });
  });

  it('with nobody following, the next list of versions settles it', async () => {
    await withDeadInstance('unwatched', afterNeonAsked, async (run) => {
      // Bounded wait for Neon to finish on its own and the dead instance's lease to lapse.
      let after = await run.list();
      for (let i = 0; i < 100 && after.currentVersionId !== run.v1.id; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await run.list();
      }
      expect(after.currentVersionId).toBe(run.v1.id);
      expect(after.activeRestore).toBeNull();
      await h.neon.settled(run.tenant.projectId);
      expect(await run.branches()).toEqual(['main']);
      // A late follower still hears how it ended.
      expect((await run.follow()).at(-1)?.event).toBe('restore.succeeded');
    });
  });

  it('dies before writing anything: its followers hear it was interrupted, the project frees up', async () => {
    await withDeadInstance('first', atFirstWrite, async (run) => {
      // Follow only once its lease has lapsed: the restore has left no trace at all but the
      // token, and the answer comes at once instead of a 404.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const events = await run.follow();
      expect(events.at(-1)).toMatchObject({
        event: 'restore.failed',
        data: { error: { code: 'operation_failed', details: { interrupted: true } } },
      });
      expect(await sql(run.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
      expect((await run.list()).versions.map((v) => v.label)).toEqual(['v1', 'v2']);
      expect(await run.snapshots()).toBe(run.snapshotsBefore);
      expect((await run.create('v3')).status).toBe(201);
    });
  });

  it('refuses a new restore while an earlier one cannot be settled yet, changing nothing', async () => {
    const tenant = await h.addTenant('open');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const store = memoryStore();
    const app = h.makeApp({ store });
    const headers = { 'x-tenant': 'open', 'content-type': 'application/json' };
    const v1 = (
      await json<{ version: Version }>(
        await app.request('/versions', { method: 'POST', headers, body: '{"label":"v1"}' }),
      )
    ).version;
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    // A restore whose outcome Neon cannot tell (the branch it replaced is unknown to Neon).
    const lock = await store.acquireLock(
      tenant.projectId,
      { id: 'r-earlier', kind: 'restore', versionId: v1.id, token: 't', startedAt: 'x' },
      60_000,
    );
    if (!lock.acquired) throw new Error('no lock');
    const open: RestoreRecord = {
      ...newRestoreRecord({
        id: 'r-earlier',
        target: { projectId: tenant.projectId, branchName: 'main', databaseName: 'neondb', roleName: 'r' },
        kind: 'restore',
        version: (await store.getVersion(tenant.projectId, v1.id)) as StoredVersion,
        token: 't',
        holderId: 'r-earlier',
        undoVersionId: null,
        preview: null,
        createdAt: new Date().toISOString(),
      }),
      liveBeforeId: 'br-unknown',
      phase: 'asked',
      restoredBranchId: 'br-unknown-2',
    };
    await store.commitRestore(open, { fence: lock.fence });
    await store.releaseLock(tenant.projectId, lock.fence);
    const events = await readEvents(
      await app.request(`/versions/${v1.id}/restore`, { method: 'POST', headers, body: '{}' }),
    );
    expect(events.at(-1)).toMatchObject({ event: 'restore.failed', data: { error: { code: 'locked' } } });
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);
    expect((await store.listRestores(tenant.projectId, { open: true })).map((r) => r.id)).toEqual([
      'r-earlier',
    ]);
    expect((await store.listVersions(tenant.projectId)).map((v) => v.label)).toEqual(['v1']);

    // An operator sees the stuck restore, decides it as not done, and the project runs again.
    const admin = createRewindAdmin({ ...adminOptions(), store });
    const seen = await admin.inspect({ projectId: tenant.projectId });
    expect(seen.openRestores.map((r) => r.id)).toEqual(['r-earlier']);
    await admin.abandon({ projectId: tenant.projectId }, 'r-earlier');
    expect((await admin.inspect({ projectId: tenant.projectId })).openRestores).toEqual([]);
    const next = await readEvents(
      await app.request(`/versions/${v1.id}/restore`, { method: 'POST', headers, body: '{}' }),
    );
    expect(next.at(-1)?.event).toBe('restore.succeeded');
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
    const audit = await admin.audit({ projectId: tenant.projectId });
    expect(audit.map((entry) => [entry.status, entry.error?.details ?? null])).toEqual([
      ['succeeded', null],
      ['failed', { retryable: true }], // refused while r-earlier was open
      ['failed', { abandoned: true }],
    ]);
  });
});

function adminOptions() {
  return {
    neon: { apiKey: 'k', baseURL: h.neon.baseURL, fetch: h.neon.fetch as typeof fetch },
    secret: 'test-secret-that-is-long-enough-1234567890',
    resolveProject: () => null,
  };
}
