// Restores as events of the timeline, and an undo that returns the timeline to how it was before
// the restore without lying: the version that was current is current again only when Neon shows
// the undo point taken on its branch at its lsn (nothing written since); otherwise the undo point
// stays "v3 + later changes", under v3. Against the emulator's real Postgres data.
import { type ListVersionsResponse, RESTORE_EVENT, type Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function tenantApi(name: string) {
  const create = async (label: string) => {
    const response = await h.request(name, '/versions', { method: 'POST', body: JSON.stringify({ label }) });
    expect(response.status).toBe(201);
    return (await json<{ version: Version }>(response)).version;
  };
  const restoreOf = async (response: Response) => {
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    return events;
  };
  return {
    create,
    restore: async (id: string) =>
      restoreOf(await h.request(name, `/versions/${id}/restore`, { method: 'POST', body: '{}' })),
    undo: async () => restoreOf(await h.request(name, '/undo', { method: 'POST', body: '{}' })),
    list: async () => json<ListVersionsResponse>(await h.request(name, '/versions')),
  };
}

const labelOf = (listed: ListVersionsResponse, id: string | null) =>
  listed.versions.find((v) => v.id === id)?.label;

describe('restore events and an honest undo', () => {
  it('restore v1, undo: v3 is current again, the undo point is no row of its own; a redo restores v1 by the same rules', async () => {
    const tenant = await h.addTenant('events-untouched');
    const api = tenantApi('events-untouched');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const v1 = await api.create('v1');
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    await api.create('v2');
    await sql(tenant.uri, `UPDATE t SET v = 'v3'`);
    const v3 = await api.create('v3');

    await api.restore(v1.id);
    let listed = await api.list();
    expect(listed.currentVersionId).toBe(v1.id);
    const [restored] = listed.restores;
    expect(restored).toMatchObject({
      kind: 'restore',
      versionId: v1.id,
      currentBeforeId: v3.id,
      currentAfterId: v1.id,
    });
    const undoPoint = listed.versions.find((v) => v.id === restored?.undoVersionId);
    expect(undoPoint).toMatchObject({ kind: 'pre-restore', parentId: v3.id, label: 'v3 + later changes' });
    expect(listed.undoVersionId).toBe(undoPoint?.id);

    // Nothing was written since v3: Neon shows the undo point at v3's lsn on v3's branch.
    const undone = await api.undo();
    expect(undone.find((e) => e.event === RESTORE_EVENT.finalized)?.data).toMatchObject({ versionId: v3.id });
    expect(undone.at(-1)?.data).toMatchObject({ versionId: v3.id });
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v3' }]);
    listed = await api.list();
    expect(listed.currentVersionId).toBe(v3.id);
    expect(listed.versions.find((v) => v.current)?.id).toBe(v3.id);
    expect(listed.restores.map((r) => r.kind)).toEqual(['undo', 'restore']);
    expect(listed.restores[0]).toMatchObject({
      versionId: undoPoint?.id,
      currentBeforeId: v1.id,
      currentAfterId: v3.id,
    });

    // Undoing the undo is a redo: v1's data again. Its undo point was taken on the branch v1 was
    // restored into, not on v1's own branch, so nothing proves it equal to v1: it is "v1 + later
    // changes", under v1 (never a nested name).
    const redoPointId = listed.undoVersionId;
    expect(labelOf(listed, redoPointId)).toBe('v1 + later changes');
    await api.undo();
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
    listed = await api.list();
    expect(listed.restores.map((r) => r.kind)).toEqual(['undo', 'undo', 'restore']);
    expect(listed.restores[0]?.versionId).toBe(redoPointId);
    expect(listed.versions.find((v) => v.current)).toMatchObject({ id: redoPointId, parentId: v1.id });
    for (const version of listed.versions)
      expect(version.label).not.toMatch(/later changes.*later changes|“/);
  });

  it('data written after the version: the undo point is current after the undo, as "v2 + later changes" under v2', async () => {
    const tenant = await h.addTenant('events-written');
    const api = tenantApi('events-written');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const v1 = await api.create('v1');
    await sql(tenant.uri, `UPDATE t SET v = 'v2'`);
    const v2 = await api.create('v2');
    await sql(tenant.uri, `INSERT INTO t VALUES ('written after v2')`);

    await api.restore(v1.id);
    const undone = await api.undo();
    const listed = await api.list();
    const current = listed.versions.find((v) => v.current);
    expect(current).toMatchObject({ kind: 'pre-restore', parentId: v2.id, label: 'v2 + later changes' });
    expect(undone.at(-1)?.data).toMatchObject({ versionId: current?.id });
    expect(listed.restores[0]).toMatchObject({ kind: 'undo', currentAfterId: current?.id });
    expect(await sql(tenant.uri, 'SELECT v FROM t ORDER BY v')).toEqual([
      { v: 'v2' },
      { v: 'written after v2' },
    ]);
  });
});
