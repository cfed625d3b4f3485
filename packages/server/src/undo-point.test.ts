// The undo point's fallback: a Neon that refuses to snapshot the replaced "(old)" branch (the
// emulator's `snapshotsNeedCompute`; no source says Neon does, none says it does not).
import { type ListVersionsResponse, RESTORE_EVENT, type Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

let h: Harness;
const reported: string[] = [];
beforeAll(async () => {
  h = await startHarness({
    emulator: { snapshotsNeedCompute: true },
    rewind: { onError: (_error, context) => reported.push(String(context.where)) },
  });
});
afterAll(() => h.close());

describe('a Neon that will not snapshot the replaced branch', () => {
  it('the first restore stands without Undo; later ones take the undo point first, and undo works', async () => {
    const tenant = await h.addTenant('no-old-snapshots');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const create = async (label: string) => {
      const response = await h.request('no-old-snapshots', '/versions', {
        method: 'POST',
        body: JSON.stringify({ label }),
      });
      expect(response.status).toBe(201);
      return (await json<{ version: Version }>(response)).version;
    };
    const restore = async (id: string) => {
      const response = await h.request('no-old-snapshots', `/versions/${id}/restore`, {
        method: 'POST',
        body: '{}',
      });
      expect(response.status).toBe(200);
      return readEvents(response);
    };
    const v1 = await create('v1');
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    const v2 = await create('v2');

    // Neon refuses after the swap: the restore happened and says so, with nothing to undo.
    const first = await restore(v1.id);
    expect(first.at(-1)).toMatchObject({ event: RESTORE_EVENT.succeeded, data: { undoVersionId: null } });
    expect(first.some((e) => e.event === RESTORE_EVENT.undoAvailable)).toBe(false);
    expect(reported).toContain('undo point after swap refused: later restores take it first');
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);

    // From now on the undo point comes first, as before issue 13.
    const second = await restore(v2.id);
    const names = second.map((e) => e.event);
    expect(names.indexOf(RESTORE_EVENT.undoAvailable)).toBeGreaterThan(-1);
    expect(names.indexOf(RESTORE_EVENT.undoAvailable)).toBeLessThan(names.indexOf(RESTORE_EVENT.finalized));
    expect(second.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v2' }]);

    const undo = await h.request('no-old-snapshots', '/undo', { method: 'POST', body: '{}' });
    expect(undo.status).toBe(200);
    expect((await readEvents(undo)).at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);

    // Nothing left behind: one live branch, a snapshot for every version and no other.
    await h.neon.settled(tenant.projectId);
    const listed = await json<ListVersionsResponse>(await h.request('no-old-snapshots', '/versions'));
    const branches = (await h.api.listProjectBranches({ projectId: tenant.projectId })).data.branches;
    expect(branches.map((b) => b.name)).toEqual(['main']);
    const snapshots = (await h.api.listSnapshots(tenant.projectId)).data.snapshots.map((s) => s.id);
    expect(listed.versions.map((v) => v.snapshotId).sort()).toEqual(snapshots.sort());
  });
});
