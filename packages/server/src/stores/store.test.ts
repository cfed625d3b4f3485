import { PGlite } from '@electric-sql/pglite';
import { RESTORE_EVENT } from '@rewind/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStore } from './memory-store';
import { sqlStore } from './sql-store';
import type { RewindStore, StoredVersion } from './store';

const pglite = new PGlite();
afterAll(() => pglite.close());

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

  it('keeps project state, idempotency keys and previews', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    expect(await store.getProjectState(p)).toEqual({
      currentVersionId: null,
      undoVersionId: null,
      pendingCleanup: [],
      pendingRestores: [],
    });
    await store.updateProjectState(p, { currentVersionId: 'a' });
    await store.updateProjectState(p, { pendingCleanup: ['br-1'] });
    expect(await store.getProjectState(p)).toEqual({
      currentVersionId: 'a',
      undoVersionId: null,
      pendingCleanup: ['br-1'],
      pendingRestores: [],
    });
    expect(await store.getIdempotencyKey(p, 'k')).toBeNull();
    await store.putIdempotencyKey(p, 'k', 'v1');
    await store.putIdempotencyKey(p, 'k', 'v2');
    expect(await store.getIdempotencyKey(p, 'k')).toBe('v1');
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

  it('gives the lock to exactly one of many concurrent takers, and frees it on release or expiry', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    const holder = (id: string) => ({
      id,
      kind: 'restore' as const,
      versionId: 'v',
      token: `t-${id}`,
      startedAt: 'now',
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.acquireLock(p, holder(`h${i}`), 60_000)),
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => !r.acquired) as Array<{ acquired: false; holder: { id: string } }>;
    const winnerId = (await store.getLock(p))?.id;
    expect(losers.every((r) => r.holder.id === winnerId)).toBe(true);
    expect(await store.renewLock(p, winnerId as string, 60_000)).toBe(true);
    expect(await store.renewLock(p, 'not-the-holder', 60_000)).toBe(false);
    await store.releaseLock(p, 'not-the-holder');
    expect((await store.getLock(p))?.id).toBe(winnerId);
    await store.releaseLock(p, winnerId as string);
    expect(await store.getLock(p)).toBeNull();
    expect((await store.acquireLock(p, holder('short'), 1)).acquired).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await store.acquireLock(p, holder('next'), 60_000)).acquired).toBe(true);
  });

  it('keeps restore event logs in order and reads after an id', async () => {
    const store = await make();
    const p = `p-${crypto.randomUUID()}`;
    for (let id = 1; id <= 3; id++) {
      await store.appendEvent(p, 'r1', {
        event: RESTORE_EVENT.progress,
        id,
        data: { phase: 'restoring', progress: id / 3, settled: id, total: 3 },
      });
    }
    expect((await store.readEvents(p, 'r1', 0)).map((e) => e.id)).toEqual([1, 2, 3]);
    expect((await store.readEvents(p, 'r1', 2)).map((e) => e.id)).toEqual([3]);
    expect(await store.readEvents('other', 'r1', 0)).toEqual([]);
  });
});
