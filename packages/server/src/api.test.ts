// The programmatic API (issue 14): the service without HTTP, as a platform's backend or agent
// calls it, through the package's public entry point, against the emulator's real Postgres.
import { RESTORE_EVENT, type RestoreEvent, RewindError } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRewindApi, type RewindApi } from './index';
import { type Harness, json, readEvents, sql, startHarness } from './test/harness';

let h: Harness;
let api: RewindApi;
beforeAll(async () => {
  h = await startHarness();
  api = h.app.api;
});
afterAll(() => h.close());

const snapshotsOf = async (projectId: string) => (await h.api.listSnapshots(projectId)).data.snapshots;

describe('versions without HTTP', () => {
  it('creates, lists, finds by code reference, renames, pins and deletes', async () => {
    const tenant = await h.addTenant('api-versions');
    const target = { projectId: tenant.projectId };
    await sql(tenant.uri, `CREATE TABLE notes (body text)`);
    const v1 = await api.createVersion(target, { label: 'v1', codeRef: 'abc123', prompt: 'make notes' });
    expect(v1).toMatchObject({ label: 'v1', codeRef: 'abc123', current: true, kind: 'manual' });
    const v2 = await api.createVersion(target, { label: 'v2', codeRef: 'def456' });

    const listed = await api.listVersions(target);
    expect(listed.versions.map((v) => v.id).sort()).toEqual([v1.id, v2.id].sort());
    expect(listed.currentVersionId).toBe(v2.id);
    expect(await api.getVersion(target, v1.id)).toMatchObject({ id: v1.id, current: false });
    expect((await api.findVersionByCodeRef(target, 'abc123'))?.id).toBe(v1.id);
    expect(await api.findVersionByCodeRef(target, 'nope')).toBeNull();

    expect(await api.renameVersion(target, v1.id, '  First  ')).toMatchObject({ label: 'First' });
    expect(await api.pinVersion(target, v1.id)).toMatchObject({ pinned: true });
    expect(await api.pinVersion(target, v1.id, false)).toMatchObject({ pinned: false });

    await api.deleteVersion(target, v2.id);
    expect((await api.listVersions(target)).versions.map((v) => v.id)).toEqual([v1.id]);
    await expect(api.getVersion(target, v2.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses bad input with the same typed errors as the routes', async () => {
    const tenant = await h.addTenant('api-bad-input');
    const target = { projectId: tenant.projectId };
    const refusals = [
      api.createVersion(target, { label: '' }),
      api.createVersion(target, { label: 'x', extra: 1 } as never),
      api.createVersion(target, { label: 'x' }, { idempotencyKey: '' }),
      api.getVersion(target, 'v\u0000'),
      api.renameVersion(target, 'v1', ''),
      api.findVersionByCodeRef(target, ''),
      api.listVersions({ projectId: '' }),
      api.listVersions(null as never),
      api.withVersion(target, 'not a function' as never, { label: 'x' }),
    ];
    for (const refusal of refusals) {
      const error = await refusal.then(
        () => null,
        (e: unknown) => e,
      );
      expect(RewindError.is(error), String(error)).toBe(true);
      expect((error as RewindError).code).toBe('bad_request');
    }
    const restore = await Promise.resolve(api.restore(target, '../x')).catch((e: unknown) => e);
    expect(restore).toMatchObject({ code: 'bad_request' });
    expect(await snapshotsOf(tenant.projectId)).toHaveLength(0);
  });
});

describe('restore and undo as awaitable, iterable runs', () => {
  it('yields the typed progress events, resolves to the outcome, and undo puts the data back', async () => {
    const tenant = await h.addTenant('api-restore');
    const target = { projectId: tenant.projectId };
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('one')`);
    const v1 = await api.createVersion(target, { label: 'one' });
    await sql(tenant.uri, `UPDATE t SET v = 'two'`);
    const v2 = await api.createVersion(target, { label: 'two' });

    const run = api.restore(target, v1.id);
    const started = await run.started;
    expect(started).toMatchObject({ versionId: v1.id });
    expect(typeof started.token).toBe('string');
    const events: RestoreEvent[] = [];
    for await (const event of run) events.push(event);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe(RESTORE_EVENT.started);
    expect(names).toContain(RESTORE_EVENT.finalized);
    expect(names.at(-1)).toBe(RESTORE_EVENT.succeeded);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    // Awaiting the same run after iterating it gives the outcome from its log.
    const result = await run;
    expect(result).toMatchObject({ restoreId: started.restoreId, versionId: v1.id });
    expect(result.undoVersionId).toEqual(expect.any(String));
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'one' }]);
    expect((await api.listVersions(target)).currentVersionId).toBe(v1.id);

    // Nothing was written since "two": its undo point proves it, so "two" is current again.
    const undone = await api.undo(target);
    expect(undone.versionId).toBe(v2.id);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'two' }]);
    expect((await api.listVersions(target)).currentVersionId).toBe(v2.id);
  });

  it('a refused restore rejects with its typed error, whether awaited or iterated', async () => {
    const tenant = await h.addTenant('api-refused');
    const target = { projectId: tenant.projectId };
    await expect(api.undo(target)).rejects.toMatchObject({ code: 'not_found' });
    const iterate = async () => {
      for await (const _ of api.restore(target, 'vdoesnotexist')) {
        // never reached
      }
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a restore started through the API is followed over HTTP by its token (one core)', async () => {
    const tenant = await h.addTenant('api-follow');
    const target = { projectId: tenant.projectId };
    await sql(tenant.uri, `CREATE TABLE t (v int); INSERT INTO t VALUES (1)`);
    const v1 = await api.createVersion(target, { label: 'one' });
    await sql(tenant.uri, `UPDATE t SET v = 2`);
    await api.createVersion(target, { label: 'two' });
    const run = api.restore(target, v1.id);
    const { token } = await run.started;
    const response = await h.request('api-follow', `/restores/${token}/events`);
    expect(response.status).toBe(200);
    const overHttp = await readEvents(response);
    expect(overHttp.at(-1)).toMatchObject({ event: RESTORE_EVENT.succeeded, data: { versionId: v1.id } });
    expect((await run).versionId).toBe(v1.id);
    // And the other way: a restore started over HTTP, attached to by the API.
    const http = await h.request('api-follow', '/undo', { method: 'POST', body: '{}' });
    const httpToken = http.headers.get('rewind-restore-token') as string;
    await http.body?.cancel();
    const followed = await api.followRestore(target, httpToken);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 2 }]);
    expect(followed.versionId).toEqual(expect.any(String));
  });
});

describe('withVersion: a change under the lock', () => {
  it('no restore replaces the branch while the change runs; the change is then versioned', async () => {
    const tenant = await h.addTenant('api-change');
    const target = { projectId: tenant.projectId };
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('base')`);
    const base = await api.createVersion(target, { label: 'base' });
    // A second API on the same store and Neon: another instance of the platform.
    const other = createRewindApi(h.optionsFor({ lockWaitMs: 300 }));

    let releaseChange: () => void = () => undefined;
    const changeMayEnd = new Promise<void>((resolve) => {
      releaseChange = resolve;
    });
    let refusal: unknown;
    const changed = api.withVersion(
      target,
      async ({ connectionUri, branchId }) => {
        expect(connectionUri).toMatch(/^postgres(ql)?:\/\//);
        await sql(connectionUri, `ALTER TABLE t ADD COLUMN tags text; UPDATE t SET v = 'migrated'`);
        // Mid-change, another instance tries to restore the old version: refused, not run.
        refusal = await Promise.resolve(other.restore(target, base.id)).catch((e: unknown) => e);
        await changeMayEnd;
        return branchId;
      },
      { label: 'add tags', prompt: 'tag contacts', codeRef: 'c0ffee' },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    releaseChange();
    const { version, result: branchId } = await changed;
    expect(refusal).toMatchObject({ code: 'restore_in_progress' });
    expect(version).toMatchObject({ label: 'add tags', codeRef: 'c0ffee', current: true, parentId: base.id });
    expect((await api.listVersions(target)).liveBranch.id).toBe(branchId);

    // The version holds the change: restore base, then the new version, and see it back.
    await api.restore(target, base.id);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'base' }]);
    await api.restore(target, version.id);
    expect(await sql(tenant.uri, 'SELECT v, tags FROM t')).toEqual([{ v: 'migrated', tags: null }]);
  });

  it('a change that throws versions nothing and its error comes back unchanged', async () => {
    const tenant = await h.addTenant('api-change-throws');
    const target = { projectId: tenant.projectId };
    await api.createVersion(target, { label: 'base' });
    const before = await snapshotsOf(tenant.projectId);
    const thrown = new Error('migration failed: column "tags" already exists');
    const caught = await api
      .withVersion(
        target,
        async () => {
          throw thrown;
        },
        { label: 'never' },
      )
      .catch((e: unknown) => e);
    expect(caught).toBe(thrown);
    expect((await api.listVersions(target)).versions.map((v) => v.label)).toEqual(['base']);
    expect(await snapshotsOf(tenant.projectId)).toHaveLength(before.length);
    // The project is free again at once.
    await api.createVersion(target, { label: 'after' });
  });
});

describe('previews without HTTP', () => {
  it('opens a preview with its connection string (server-side), promotes and discards', async () => {
    const tenant = await h.addTenant('api-preview');
    const target = { projectId: tenant.projectId };
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('old')`);
    const v1 = await api.createVersion(target, { label: 'old' });
    await sql(tenant.uri, `UPDATE t SET v = 'new'`);
    await api.createVersion(target, { label: 'new' });

    const { preview, diff, connectionUri } = await api.createPreview(target, v1.id);
    expect(preview.versionId).toBe(v1.id);
    expect(diff.text).toBe('');
    expect(await sql(connectionUri, 'SELECT v FROM t')).toEqual([{ v: 'old' }]);
    expect(await api.previewConnectionUri(target, preview.id)).toBe(connectionUri);
    expect((await api.listPreviews(target)).map((p) => p.id)).toEqual([preview.id]);
    // The wire form a browser gets carries no connection string.
    expect(JSON.stringify(await api.listPreviews(target))).not.toContain('postgres');

    const promoted = await api.promotePreview(target, preview.id);
    expect(promoted.versionId).toBe(v1.id);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'old' }]);

    const again = await api.createPreview(target, v1.id);
    await api.discardPreview(target, again.preview.id);
    expect(await api.listPreviews(target)).toEqual([]);
    const body = await json<{ previews: unknown[] }>(await h.request('api-preview', '/previews'));
    expect(body.previews).toEqual([]);
  });
});
