// Retention that respects Neon's snapshot quota (issue 13 point 5): automatic backups kept a few
// deep with an expiry, the oldest unpinned versions pruned when the platform allows it, pins, the
// quota (Rewind's setting and Neon's own 422), and a 1-snapshot plan.
import {
  type ListVersionsResponse,
  RESTORE_EVENT,
  type RewindErrorJSON,
  type Version,
} from '@rewind/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import type { RewindOptions } from './options';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.close())));

async function setup(
  name: string,
  rewind: Partial<RewindOptions>,
  emulator: Parameters<typeof startHarness>[0] = {},
) {
  const h = await startHarness({ ...emulator, rewind });
  harnesses.push(h);
  const tenant = await h.addTenant(name);
  await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v0')`);
  const create = async (label: string) => {
    await sql(tenant.uri, `UPDATE t SET v = '${label}'`);
    return h.request(name, '/versions', { method: 'POST', body: JSON.stringify({ label }) });
  };
  const version = async (label: string) => {
    const response = await create(label);
    expect(response.status).toBe(201);
    return (await json<{ version: Version }>(response)).version;
  };
  const restore = async (id: string) => {
    const response = await h.request(name, `/versions/${id}/restore`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    return readEvents(response);
  };
  const list = async () => json<ListVersionsResponse>(await h.request(name, '/versions'));
  /** Neon and the store agree: a snapshot for every version, no other, nothing pending. */
  const agrees = async () => {
    await h.neon.settled(tenant.projectId);
    const snapshots = (await h.api.listSnapshots(tenant.projectId)).data.snapshots;
    const listed = await list();
    expect(listed.versions.map((v) => v.snapshotId).sort()).toEqual(snapshots.map((s) => s.id).sort());
    return { listed, snapshots };
  };
  return { h, tenant, create, version, restore, list, agrees };
}

describe('retention', () => {
  it('keeps automatic backups 3 deep, each expiring in 24 h, and never the one Undo offers', async () => {
    const t = await setup('backups', {});
    const a = await t.version('a');
    const b = await t.version('b');
    let offered: string | null = null;
    for (let i = 0; i < 5; i++) {
      const events = await t.restore(i % 2 === 0 ? a.id : b.id);
      const last = events.at(-1);
      expect(last?.event).toBe(RESTORE_EVENT.succeeded);
      offered = (last?.data as { undoVersionId?: string | null } | undefined)?.undoVersionId ?? null;
    }
    const { listed, snapshots } = await t.agrees();
    const backups = listed.versions.filter((v) => v.kind === 'pre-restore');
    expect(backups).toHaveLength(3);
    // The newest backup is what Undo restores: kept, and Undo works.
    expect(backups.map((v) => v.id)).toContain(offered);
    const undo = await t.h.request('backups', '/undo', { method: 'POST', body: '{}' });
    expect(undo.status).toBe(200);
    expect((await readEvents(undo)).at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    for (const backup of backups) {
      const snapshot = snapshots.find((s) => s.id === backup.snapshotId);
      const ttl = Date.parse(snapshot?.expires_at ?? '') - Date.now();
      expect(ttl).toBeGreaterThan(23 * 3_600_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);
    }
    expect(listed.versions.filter((v) => v.kind === 'manual').map((v) => v.label)).toEqual(['a', 'b']);
  });

  it('with maxVersions, prunes the oldest unpinned versions; a pinned one stays', async () => {
    const t = await setup('max', { retention: { maxVersions: 3 } });
    const first = await t.version('first');
    const pinned = await t.h.request('max', `/versions/${first.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ pinned: true }),
    });
    expect((await json<{ version: Version }>(pinned)).version.pinned).toBe(true);
    for (const label of ['second', 'third', 'fourth', 'fifth']) await t.version(label);
    const { listed } = await t.agrees();
    expect(listed.versions.map((v) => v.label)).toEqual(['first', 'fourth', 'fifth']);
    expect(listed.versions.find((v) => v.label === 'first')?.pinned).toBe(true);
    expect(listed.versions.find((v) => v.label === 'fifth')?.current).toBe(true);
  });

  it("at Rewind's quota without a pruning policy: a typed quota_exceeded, and nothing made", async () => {
    const t = await setup('quota', { snapshotQuota: 2 });
    await t.version('one');
    await t.version('two');
    const refused = await t.create('three');
    expect(refused.status).toBe(422);
    const { error } = await json<RewindErrorJSON>(refused);
    expect(error.code).toBe('quota_exceeded');
    expect(error.details).toMatchObject({
      quota: 'snapshots',
      limit: 2,
      hint: expect.stringContaining('retention.maxVersions'),
    });
    const { listed } = await t.agrees();
    expect(listed.versions.map((v) => v.label)).toEqual(['one', 'two']);
  });

  it("meets Neon's own quota (snapshots Rewind does not know count): frees a slot by the policy and retries", async () => {
    const t = await setup(
      'neon-quota',
      { retention: { maxVersions: 10 } },
      { emulator: { limits: { maxSnapshots: 3 } } },
    );
    const live = (await t.h.api.listProjectBranches({ projectId: t.tenant.projectId })).data.branches[0];
    await t.h.api.createSnapshot({
      projectId: t.tenant.projectId,
      branchId: live?.id as string,
      name: 'by hand',
    });
    await t.h.neon.settled(t.tenant.projectId);
    await t.version('one');
    await t.version('two');
    await t.version('three');
    await t.h.neon.settled(t.tenant.projectId);
    const snapshots = (await t.h.api.listSnapshots(t.tenant.projectId)).data.snapshots.map((s) => s.name);
    expect(snapshots).toContain('by hand');
    expect(snapshots).toHaveLength(3);
    expect((await t.list()).versions.map((v) => v.label)).toEqual(['two', 'three']);
  });
});

describe('a 1-snapshot plan (Neon Free)', () => {
  it('confirms that the restore cannot be undone, runs it without an undo point, never halfway', async () => {
    const t = await setup(
      'free',
      { snapshotQuota: 1, retention: { maxVersions: 1 } },
      { emulator: { plan: 'free' } },
    );
    const v1 = await t.version('v1');
    const diff = await t.h.request('free', `/versions/${v1.id}/diff`, { method: 'POST', body: '{}' });
    expect((await json<{ undoable: boolean }>(diff)).undoable).toBe(false);
    await sql(t.tenant.uri, `UPDATE t SET v = 'unsaved'`);
    const events = await t.restore(v1.id);
    expect(events.some((e) => e.event === RESTORE_EVENT.undoAvailable)).toBe(false);
    expect(events.at(-1)).toMatchObject({ event: RESTORE_EVENT.succeeded, data: { undoVersionId: null } });
    expect(await sql(t.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
    // A new version replaces the only one (maxVersions 1).
    const v2 = await t.version('v2');
    const { listed } = await t.agrees();
    expect(listed.versions.map((v) => v.id)).toEqual([v2.id]);
    const branches = (await t.h.api.listProjectBranches({ projectId: t.tenant.projectId })).data.branches;
    expect(branches.map((b) => b.name)).toEqual(['main']);
  });

  it('with requireUndo, refuses the restore before anything changes', async () => {
    const t = await setup(
      'free-strict',
      { snapshotQuota: 1, requireUndo: true },
      { emulator: { plan: 'free' } },
    );
    const v1 = await t.version('v1');
    await sql(t.tenant.uri, `UPDATE t SET v = 'unsaved'`);
    const refused = await t.h.request('free-strict', `/versions/${v1.id}/restore`, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(422);
    expect((await json<RewindErrorJSON>(refused)).error.code).toBe('quota_exceeded');
    expect(await sql(t.tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'unsaved' }]);
    await t.agrees();
  });
});
