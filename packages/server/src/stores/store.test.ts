// One conformance suite for every store: memory, SQL on PGlite, and SQL on a real PostgreSQL
// server (many connections, so concurrent writers really race).
import { PGlite } from '@electric-sql/pglite';
import { RESTORE_EVENT, type RestoreEvent } from '@rewind/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRestoreRecord } from '../restore/restore-machine';
import { createDatabase, type PostgresServer, startPostgres } from '../test/postgres-server';
import type { RestoreRecord } from '../types';
import { memoryStore } from './memory-store';
import { SQL_STORE_MIGRATIONS, type SqlQuery, sqlStore } from './sql-store';
import type { LockHolder, RewindStore, StoredVersion } from './store';

const pglite = new PGlite();
let server: PostgresServer;
let pool: pg.Pool;
beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: await createDatabase(server, 'conformance'), max: 8 });
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await server?.stop();
  await pglite.close();
});

const stores: Array<[string, () => Promise<RewindStore>]> = [
  ['memoryStore', async () => memoryStore()],
  [
    'sqlStore (PGlite)',
    async () => {
      const store = sqlStore((text, params) => pglite.query(text, params));
      await store.migrate();
      await store.migrate(); // idempotent
      return store;
    },
  ],
  [
    'sqlStore (PostgreSQL server)',
    async () => {
      const store = sqlStore((text, params) => pool.query(text, params));
      // Several instances starting at once migrate once.
      await Promise.all([store.migrate(), store.migrate(), store.migrate()]);
      return store;
    },
  ],
];

function version(projectId: string, id: string, parentId: string | null, createdAt: string): StoredVersion {
  return {
    id,
    projectId,
    label: `label ${id}`,
    prompt: 'add a table',
    codeRef: 'abc123',
    parentId,
    snapshotId: `snap-${id}`,
    kind: 'manual',
    createdAt,
    expiresAt: null,
    metadata: { n: 1, tags: ['x'] },
  };
}

const holder = (id: string, kind: LockHolder['kind'] = 'restore'): LockHolder => ({
  id,
  kind,
  versionId: 'v',
  token: `t-${id}`,
  startedAt: 'now',
});

function record(projectId: string, id: string): RestoreRecord {
  return newRestoreRecord({
    id,
    target: { projectId, branchName: 'main', databaseName: 'neondb', roleName: 'r', actor: 'alice' },
    kind: 'restore',
    version: version(projectId, 'v1', null, '2026-01-01T00:00:00Z'),
    token: 'tok',
    holderId: id,
    undoVersionId: 'u1',
    preview: null,
    createdAt: new Date().toISOString(),
  });
}

const progress = (id: number): RestoreEvent => ({
  event: RESTORE_EVENT.progress,
  id,
  data: { phase: 'restoring', progress: id / 3, settled: id, total: 3 },
});

describe.each(stores)('%s', (_name, make) => {
  it('keeps versions per project, renames, and re-parents children on delete', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    await store.insertVersion(version(p, 'a', null, '2026-01-01T00:00:01Z'));
    await store.insertVersion(version(p, 'b', 'a', '2026-01-01T00:00:02Z'));
    await store.insertVersion(version(p, 'c', 'b', '2026-01-01T00:00:03Z'));
    await store.insertVersion(version('other-tenant', 'z', null, '2026-01-01T00:00:00Z'));
    expect((await store.listVersions(p)).map((v) => v.id)).toEqual(['a', 'b', 'c']);
    expect(await store.getVersion(p, 'z')).toBeNull();
    expect((await store.getVersion(p, 'a'))?.metadata).toEqual({ n: 1, tags: ['x'] });
    expect((await store.renameVersion(p, 'b', 'renamed'))?.label).toBe('renamed');
    expect(await store.renameVersion(p, 'missing', 'x')).toBeNull();
    expect(await store.deleteVersion(p, 'b')).toBe(true);
    expect(await store.deleteVersion(p, 'b')).toBe(false);
    expect((await store.getVersion(p, 'c'))?.parentId).toBe('a');
  });

  it('writes a version, its idempotency key and the state in one write; a key is used once', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const pending = { kind: 'snapshot' as const, name: 'rewind-a', versionId: null, at: 1 };
    await store.patchProjectState(p, { createsAdd: [pending] });
    await store.insertVersion(version(p, 'a', null, '2026-01-01T00:00:01Z'), {
      idempotency: { key: 'k', bodyHash: 'h1' },
      state: { currentVersionId: 'a', liveBranchId: 'br-1', createsRemove: ['rewind-a'] },
    });
    expect(await store.getIdempotencyKey(p, 'k')).toEqual({ versionId: 'a', bodyHash: 'h1' });
    expect(await store.getProjectState(p)).toMatchObject({
      currentVersionId: 'a',
      liveBranchId: 'br-1',
      pendingCreates: [],
    });
    // A second version under the same key is refused, and nothing of it is written.
    await expect(
      store.insertVersion(version(p, 'b', null, '2026-01-01T00:00:02Z'), {
        idempotency: { key: 'k', bodyHash: 'h2' },
        state: { currentVersionId: 'b' },
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.getVersion(p, 'b')).toBeNull();
    expect((await store.getProjectState(p)).currentVersionId).toBe('a');
    expect(await store.getIdempotencyKey(p, 'k')).toEqual({ versionId: 'a', bodyHash: 'h1' });
  });

  it('patches state per field: concurrent patches of different fields all land', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    await Promise.all([
      store.patchProjectState(p, { currentVersionId: 'cur' }),
      store.patchProjectState(p, { undoVersionId: 'undo' }),
      ...Array.from({ length: 30 }, (_, i) => store.patchProjectState(p, { cleanupAdd: [`br-${i}`] })),
      ...Array.from({ length: 10 }, (_, i) =>
        store.patchProjectState(p, {
          createsAdd: [{ kind: 'branch', name: `n-${i}`, versionId: null, at: i }],
        }),
      ),
    ]);
    const state = await store.getProjectState(p);
    expect(state.currentVersionId).toBe('cur');
    expect(state.undoVersionId).toBe('undo');
    expect(state.pendingCleanup.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `br-${i}`).sort());
    expect(state.pendingCreates.map((c) => c.name).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `n-${i}`).sort(),
    );
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.patchProjectState(p, { cleanupRemove: [`br-${i}`] })),
    );
    expect((await store.getProjectState(p)).pendingCleanup).toEqual([]);
    // Added and removed in one patch: removal wins (a sweep that adopted and deleted a branch).
    await store.patchProjectState(p, { cleanupAdd: ['x'], cleanupRemove: ['x'] });
    expect((await store.getProjectState(p)).pendingCleanup).toEqual([]);
  });

  it('claims one live-branch name per project, first come', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const claims = await Promise.all([
      store.claimBranchName(p, 'main'),
      store.claimBranchName(p, 'tenant-b'),
    ]);
    expect(claims[0]).toBe(claims[1]);
    expect(await store.claimBranchName(p, 'other')).toBe(claims[0]);
    await store.patchProjectState(p, { currentVersionId: 'x' });
    expect((await store.getProjectState(p)).branchName).toBe(claims[0]);
  });

  it('gives the lock to exactly one of many concurrent takers, with a new epoch per holder', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.acquireLock(p, holder(`h${i}`), 60_000)),
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0] as { acquired: true; fence: { holderId: string; epoch: number } };
    const losers = results.filter((r) => !r.acquired) as Array<{ acquired: false; holder: { id: string } }>;
    expect(losers.every((r) => r.holder.id === winner.fence.holderId)).toBe(true);
    expect(await store.renewLock(p, winner.fence, 60_000)).toBe(true);
    expect(await store.renewLock(p, { ...winner.fence, epoch: winner.fence.epoch + 1 }, 60_000)).toBe(false);
    await store.releaseLock(p, { holderId: 'not-the-holder', epoch: winner.fence.epoch });
    expect((await store.getLock(p))?.id).toBe(winner.fence.holderId);
    await store.releaseLock(p, winner.fence);
    expect(await store.getLock(p)).toBeNull();
    const next = await store.acquireLock(p, holder('next'), 60_000);
    expect(next.acquired && next.fence.epoch).toBeGreaterThan(winner.fence.epoch);
    // A released lease renews no more.
    expect(await store.renewLock(p, winner.fence, 60_000)).toBe(false);
  });

  it('fences writes: after a takeover the old holder writes nothing, not even part of a write', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const first = await store.acquireLock(p, holder('a'), 40);
    if (!first.acquired) throw new Error('no lock');
    const r = record(p, 'r1');
    await store.commitRestore(r, {
      fence: first.fence,
      events: [progress(1)],
      state: { currentVersionId: 'v0' },
    });
    await new Promise((resolve) => setTimeout(resolve, 80)); // the lease expires (store clock)
    const second = await store.acquireLock(p, holder('b', 'mutation'), 60_000);
    if (!second.acquired) throw new Error('no takeover');
    expect(second.fence.epoch).toBe(first.fence.epoch + 1);
    const stale = { ...r, phase: 'asking' as const, asking: true, lastEventId: 2 };
    await expect(
      store.commitRestore(stale, {
        fence: first.fence,
        events: [progress(2)],
        state: { currentVersionId: 'v9' },
      }),
    ).rejects.toMatchObject({ code: 'lease_lost' });
    await expect(store.patchProjectState(p, { undoVersionId: 'x' }, first.fence)).rejects.toMatchObject({
      code: 'lease_lost',
    });
    await expect(
      store.insertVersion(version(p, 'late', null, 'x'), { fence: first.fence }),
    ).rejects.toMatchObject({
      code: 'lease_lost',
    });
    await expect(store.deleteVersion(p, 'x', first.fence)).rejects.toMatchObject({ code: 'lease_lost' });
    expect((await store.getRestore(p, 'r1'))?.phase).toBe('intent');
    expect((await store.readEvents(p, 'r1', 0)).map((e) => e.id)).toEqual([1]);
    expect(await store.getProjectState(p)).toMatchObject({ currentVersionId: 'v0', undoVersionId: null });
    expect(await store.getVersion(p, 'late')).toBeNull();
    // The new holder writes.
    await store.commitRestore(stale, { fence: second.fence, events: [progress(2)] });
    expect((await store.getRestore(p, 'r1'))?.phase).toBe('asking');
  });

  it('writes a version row with a restore record, in the same fenced write, once', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const lock = await store.acquireLock(p, holder('a'), 60_000);
    if (!lock.acquired) throw new Error('no lock');
    await store.insertVersion(version(p, 'v1', null, '2026-01-01T00:00:00Z'), { fence: lock.fence });
    await store.insertVersion(version(p, 'v2', 'v1', '2026-01-01T00:00:01Z'), { fence: lock.fence });
    const r = record(p, 'r1');
    const undo = version(p, 'u1', 'v1', '2026-01-01T00:00:02Z');
    await store.commitRestore(r, { fence: lock.fence, events: [progress(1)], version: { insert: undo } });
    expect((await store.getVersion(p, 'u1'))?.parentId).toBe('v1');
    // A retried commit (its first answer lost) writes it again: no conflict, still one row.
    await store.commitRestore(r, { fence: lock.fence, events: [progress(1)], version: { insert: undo } });
    expect((await store.listVersions(p)).filter((v) => v.id === 'u1')).toHaveLength(1);
    // Removal moves children to the parent, with the record and a state patch.
    await store.commitRestore(
      { ...r, status: 'failed' },
      {
        fence: lock.fence,
        events: [progress(2)],
        state: { currentVersionId: null },
        version: { remove: 'v1' },
      },
    );
    expect(await store.getVersion(p, 'v1')).toBeNull();
    expect((await store.getVersion(p, 'v2'))?.parentId).toBeNull();
    expect((await store.getVersion(p, 'u1'))?.parentId).toBeNull();
    expect((await store.getRestore(p, 'r1'))?.status).toBe('failed');
    // A promotion's preview ends with the write that records its outcome.
    await store.putPreview(
      {
        id: 'pv1',
        projectId: p,
        versionId: 'v2',
        branchId: 'br-x',
        createdAt: '2026-01-01T00:00:00Z',
        expiresAt: '2026-01-02T00:00:00Z',
      },
      lock.fence,
    );
    await store.commitRestore(r, { fence: lock.fence, removePreview: 'pv1' });
    expect(await store.getPreview(p, 'pv1')).toBeNull();
    // A holder that lost the lock writes no row.
    await store.releaseLock(p, lock.fence);
    const other = await store.acquireLock(p, holder('b', 'mutation'), 60_000);
    if (!other.acquired) throw new Error('no lock');
    await expect(
      store.commitRestore(r, { fence: lock.fence, version: { insert: version(p, 'late', null, 'x') } }),
    ).rejects.toMatchObject({ code: 'lease_lost' });
    await expect(
      store.commitRestore(r, { fence: lock.fence, version: { remove: 'v2' } }),
    ).rejects.toMatchObject({
      code: 'lease_lost',
    });
    expect(await store.getVersion(p, 'late')).toBeNull();
    expect(await store.getVersion(p, 'v2')).not.toBeNull();
  });

  it('keeps restore records (open and all, newest first) with their event logs', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const lock = await store.acquireLock(p, holder('a'), 60_000);
    if (!lock.acquired) throw new Error('no lock');
    const before = await store.now();
    const one = { ...record(p, 'r1'), createdAt: '2026-01-01T00:00:01Z' };
    const two = { ...record(p, 'r2'), createdAt: '2026-01-01T00:00:02Z' };
    await store.commitRestore(one, { fence: lock.fence, events: [progress(1), progress(2)] });
    await store.commitRestore(two, { fence: lock.fence, events: [progress(1)] });
    await store.commitRestore(
      { ...one, status: 'succeeded' },
      { fence: lock.fence, events: [progress(2), progress(3)] },
    );
    expect((await store.listRestores(p)).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect((await store.listRestores(p, { open: true })).map((r) => r.id)).toEqual(['r2']);
    const stored = await store.getRestore(p, 'r1');
    expect(stored).toMatchObject({ status: 'succeeded', actor: 'alice', undoVersionId: 'u1' });
    expect(stored?.updatedAt).toBeGreaterThanOrEqual(before - 1);
    expect((await store.readEvents(p, 'r1', 0)).map((e) => e.id)).toEqual([1, 2, 3]);
    expect((await store.readEvents(p, 'r1', 2)).map((e) => e.id)).toEqual([3]);
    expect(await store.readEvents('other', 'r1', 0)).toEqual([]);
    expect(await store.getRestore('other', 'r1')).toBeNull();
  });

  it('keeps each schema once, whoever stores it, and the hash on its versions', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const hash = `h-${crypto.randomUUID()}`;
    const sql = 'CREATE TABLE public.t (\n    v text\n);\n';
    await Promise.all([store.putSchema(hash, sql), store.putSchema(hash, sql)]);
    await store.putSchema(hash, 'something else under the same hash is ignored');
    expect(await store.getSchema(hash)).toBe(sql);
    expect(await store.getSchema('missing')).toBeNull();
    const version = {
      id: 'a',
      projectId: p,
      label: 'a',
      prompt: null,
      codeRef: null,
      parentId: null,
      snapshotId: 'snap-a',
      kind: 'manual' as const,
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: null,
      metadata: {},
      schemaHash: hash,
    };
    await store.insertVersion(version);
    expect(await store.getVersion(p, 'a')).toEqual(version);
  });

  it('hands out each token of a shared bucket once, to many concurrent takers, and refills it', async () => {
    const store = await make();
    const key = `bucket-${crypto.randomUUID()}`;
    const rule = { capacity: 10, perSecond: 0.001, reserve: 0 };
    const takes = await Promise.all(Array.from({ length: 40 }, () => store.takeTokens(key, 1, rule)));
    expect(takes.filter((t) => t.granted)).toHaveLength(10);
    const refused = takes.find((t) => !t.granted);
    // One token at 0.001/s: about 1000 s away.
    expect(refused?.waitMs).toBeGreaterThan(900_000);
    // A reserve is left to others: with 10 tokens and a reserve of 8, two takes.
    const reserved = `bucket-${crypto.randomUUID()}`;
    const some = await Promise.all(
      Array.from({ length: 5 }, () => store.takeTokens(reserved, 1, { ...rule, reserve: 8 })),
    );
    expect(some.filter((t) => t.granted)).toHaveLength(2);
    // Refilled at its rate: 50 a second is a token in 20 ms.
    const fast = `bucket-${crypto.randomUUID()}`;
    const quick = { capacity: 1, perSecond: 50, reserve: 0 };
    expect((await store.takeTokens(fast, 1, quick)).granted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await store.takeTokens(fast, 1, quick)).granted).toBe(true);
  });

  it('keeps previews per project', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const preview = {
      id: 'pv',
      projectId: p,
      versionId: 'a',
      branchId: 'br-p',
      createdAt: 'x',
      expiresAt: 'y',
    };
    await store.putPreview(preview);
    expect(await store.getPreview(p, 'pv')).toEqual(preview);
    expect(await store.getPreview('other', 'pv')).toBeNull();
    expect(await store.listPreviews(p)).toEqual([preview]);
    await store.deletePreview(p, 'pv');
    expect(await store.listPreviews(p)).toEqual([]);
  });
});

describe('memoryStore', () => {
  it('judges leases by its one clock, whatever clock its callers have', async () => {
    let now = 1_000;
    const store = memoryStore({ now: () => now });
    const a = await store.acquireLock('p', holder('a'), 100);
    expect(a.acquired).toBe(true);
    now += 99;
    expect((await store.acquireLock('p', holder('b'), 100)).acquired).toBe(false);
    now += 1;
    expect((await store.acquireLock('p', holder('b'), 100)).acquired).toBe(true);
  });
});

// The previous release's schema (no version table), with data, as a platform upgrading in place has it.
async function seedReleaseOneSchema(query: SqlQuery) {
  const v1 = SQL_STORE_MIGRATIONS.find((m) => m.version === 1)?.sql as string;
  for (const statement of v1.split(';').filter((s) => s.trim())) await query(statement);
  await query(
    `INSERT INTO rewind_versions VALUES ('p1', 'v1', 'first', null, null, null, 'snap-1', 'manual', '2026-01-01T00:00:00Z', null, '{"a":1}'),
       ('p1', 'u1', 'Before restoring', null, null, 'v1', 'snap-u', 'pre-restore', '2026-01-01T00:00:01Z', null, '{}')`,
  );
  await query(`INSERT INTO rewind_projects VALUES ('p1', $1)`, [
    JSON.stringify({
      currentVersionId: 'v1',
      undoVersionId: null,
      pendingCleanup: ['br-old'],
      pendingRestores: [
        {
          restoreId: 'r-open',
          versionId: 'v1',
          liveBeforeId: 'br-live',
          restoredBranchId: 'br-new',
          undoVersionId: 'u1',
          preview: null,
        },
      ],
    }),
  ]);
  await query(`INSERT INTO rewind_idempotency VALUES ('p1', 'key-1', 'v1')`);
  await query(`INSERT INTO rewind_locks VALUES ('p1', $1, 'h-old', $2)`, [
    JSON.stringify(holder('h-old')),
    Date.now() - 1_000,
  ]);
  await query(`INSERT INTO rewind_events VALUES ('p1', 'r-open', 1, $1), ('p1', 'r-open', 2, $2)`, [
    JSON.stringify(progress(1)),
    JSON.stringify(progress(2)),
  ]);
  await query(`INSERT INTO rewind_previews VALUES ('p1', 'pv', $1)`, [
    JSON.stringify({
      id: 'pv',
      projectId: 'p1',
      versionId: 'v1',
      branchId: 'br-p',
      createdAt: 'x',
      expiresAt: 'y',
    }),
  ]);
}

describe.each([
  ['PGlite', async () => new PGlite()],
  [
    'PostgreSQL server',
    async () => new pg.Pool({ connectionString: await createDatabase(server, 'upgrade'), max: 4 }),
  ],
])('sqlStore migrations (%s)', (_name, open) => {
  it('upgrades the first release schema in place, keeping its data, and settles its open intents', async () => {
    const db = await open();
    const query: SqlQuery = (text, params) => (db as PGlite).query(text, params) as ReturnType<SqlQuery>;
    try {
      await seedReleaseOneSchema(query);
      const store = sqlStore(query);
      expect(await store.schemaVersion()).toBe(0);
      await store.migrate();
      expect(await store.schemaVersion()).toBe(SQL_STORE_MIGRATIONS.at(-1)?.version);
      expect((await store.listVersions('p1')).map((v) => v.id)).toEqual(['v1', 'u1']);
      expect((await store.getVersion('p1', 'v1'))?.metadata).toEqual({ a: 1 });
      const state = await store.getProjectState('p1');
      expect(state).toMatchObject({ currentVersionId: 'v1', pendingCleanup: ['br-old'], pendingCreates: [] });
      expect(state).not.toHaveProperty('pendingRestores');
      expect(await store.getIdempotencyKey('p1', 'key-1')).toEqual({ versionId: 'v1', bodyHash: null });
      // The old intent is now an open record that recovery settles; its log is kept.
      const [open] = await store.listRestores('p1', { open: true });
      expect(open).toMatchObject({
        id: 'r-open',
        versionId: 'v1',
        snapshotId: 'snap-1',
        liveBeforeId: 'br-live',
        restoredBranchId: 'br-new',
        undoVersionId: 'u1',
        asking: true,
        swapped: false,
        lastEventId: 2,
        steps: ['undo-point', 'restore', 'record', 'cleanup'],
      });
      expect((await store.readEvents('p1', 'r-open', 0)).map((e) => e.id)).toEqual([1, 2]);
      // The expired lock (instance clock, ms) is an expired lock on the store's clock.
      expect(await store.getLock('p1')).toBeNull();
      expect((await store.acquireLock('p1', holder('h-new'), 1_000)).acquired).toBe(true);
      expect((await store.getPreview('p1', 'pv'))?.branchId).toBe('br-p');
      await store.migrate(); // again: nothing changes
      expect((await store.listRestores('p1')).length).toBe(1);
    } finally {
      await (db as { close?: () => Promise<void>; end?: () => Promise<void> }).close?.();
      await (db as { end?: () => Promise<void> }).end?.();
    }
  });
});
