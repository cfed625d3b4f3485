import {
  type CreatePreviewResponse,
  RESTORE_EVENT,
  type RewindErrorJSON,
  type SchemaDiff,
  schemaDiffTable,
  type Version,
} from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RewindStore, StoredPreview } from './stores/store';
import { expectStatus, type Harness, json, readEvents, sql, startHarness, type Tenant } from './test/harness';

let h: Harness;
let acme: Tenant;
const previewsSeen: Array<{ preview: StoredPreview; connectionUri: string }> = [];
beforeAll(async () => {
  h = await startHarness({
    rewind: { hooks: { onPreviewReady: (event) => void previewsSeen.push(event) } },
  });
  acme = await h.addTenant('acme');
});
afterAll(() => h.close());

async function version(label: string): Promise<Version> {
  const response = await h.request('acme', '/versions', { method: 'POST', body: JSON.stringify({ label }) });
  return (await json<{ version: Version }>(response)).version;
}

/**
 * Acme's operations as Neon lists them once the list's lag has passed (so one started just before
 * is not missed), without Neon's own background work (the realistic run's availability checks and
 * compute suspends).
 */
async function operations() {
  await h.neon.settled(acme.projectId);
  await new Promise((resolve) => setTimeout(resolve, h.neon.faults.current.operationsListLagMs + 50));
  const { data } = await h.api.listProjectOperations({ projectId: acme.projectId });
  return data.operations.filter((op) => !['check_availability', 'suspend_compute'].includes(op.action));
}

/** What `act` started in Neon: the operations listed after it that were not listed before. */
async function operationsOf(act: () => Promise<void>) {
  const before = new Set((await operations()).map((op) => op.id));
  await act();
  return (await operations()).filter((op) => !before.has(op.id)).map((op) => op.action);
}

async function branchNames() {
  const { data } = await h.api.listProjectBranches({ projectId: acme.projectId });
  return data.branches.map((b) => b.name).sort();
}

describe('preview, diff, promote, discard', () => {
  let v1: Version;
  let v2: Version;
  beforeAll(async () => {
    await sql(
      acme.uri,
      `CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts VALUES (1, 'Ada')`,
    );
    v1 = await version('v1');
    await sql(
      acme.uri,
      `ALTER TABLE contacts ADD COLUMN role text, ADD COLUMN company text; CREATE TABLE notes (body text)`,
    );
    v2 = await version('v2');
  });

  it('diffs a version against live, leaving nothing behind', async () => {
    const response = await h.request('acme', `/versions/${v1.id}/diff`, { method: 'POST' });
    expect(response.status).toBe(200);
    const { diff } = await json<{ diff: SchemaDiff }>(response);
    expect(diff.tables).toEqual([
      { ...schemaDiffTable('public.contacts', 'changed'), removedColumns: ['company', 'role'] },
      schemaDiffTable('public.notes', 'removed'),
    ]);
    expect(diff.complete).toBe(true);
    expect(diff.text).toContain('-CREATE TABLE public.notes (');
    expect(await branchNames()).toEqual(['main']);
  });

  it('diffs from the stored schema: one Neon request, no branch, no operation, no lock', async () => {
    const urls: string[] = [];
    const counting = (async (input: Request | string | URL, init?: RequestInit) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return h.neon.fetch(input, init);
    }) as typeof fetch;
    const app = h.makeApp({
      neon: { apiKey: 'k', baseURL: h.neon.baseURL, fetch: counting, timeoutMs: 2_000 },
    });
    let response = new Response();
    const started = await operationsOf(async () => {
      response = await app.request(`/versions/${v1.id}/diff`, {
        method: 'POST',
        headers: { 'x-tenant': 'acme', 'content-type': 'application/json' },
      });
    });
    expect(started).toEqual([]);
    expect(response.status).toBe(200);
    const { diff } = await json<{ diff: SchemaDiff }>(response);
    expect(diff.tables).toEqual([
      { ...schemaDiffTable('public.contacts', 'changed'), removedColumns: ['company', 'role'] },
      schemaDiffTable('public.notes', 'removed'),
    ]);
    // Neon's compare_schema format: live is the base, the version the branch.
    expect(diff.text.startsWith('--- a/neondb\n+++ b/neondb\n@@ -')).toBe(true);
    expect(diff.text).toContain('-CREATE TABLE public.notes (');
    expect(urls.map((url) => new URL(url).pathname.replace(/^.*\/projects\/[^/]+/, ''))).toEqual([
      expect.stringMatching(/^\/branches\/br-[^/]+\/schema$/),
    ]);
    // The current version's own schema is the live one: nothing would change.
    const same = await app.request(`/versions/${v2.id}/diff`, {
      method: 'POST',
      headers: { 'x-tenant': 'acme', 'content-type': 'application/json' },
    });
    expect((await json<{ diff: SchemaDiff }>(same)).diff).toEqual({ text: '', tables: [], complete: true });
  });

  it('diffs a version whose schema could not be captured through a branch, as before', async () => {
    // Neon would not answer the schema read at creation: the version is made all the same.
    h.neon.faults.set({ http: [{ status: 500, method: 'GET', path: '/schema', times: 20 }] });
    await sql(acme.uri, `CREATE TABLE extra (id int)`);
    const v3 = await version('v3 without a stored schema');
    h.neon.faults.reset();
    expect(v3.id).toMatch(/^v/);
    await sql(acme.uri, `DROP TABLE extra`);
    const response = await h.request('acme', `/versions/${v3.id}/diff`, { method: 'POST' });
    expect(response.status).toBe(200);
    const { diff } = await json<{ diff: SchemaDiff }>(response);
    expect(diff.tables).toEqual([schemaDiffTable('public.extra', 'added')]);
    const operations = (await h.api.listProjectOperations({ projectId: acme.projectId })).data.operations;
    expect(operations.some((op) => op.action === 'create_branch')).toBe(true);
    expect(await branchNames()).toEqual(['main']);
    // Leave acme as the later tests expect it: live = v2's schema, v2 current.
    await sql(acme.uri, `CREATE TABLE extra (id int)`);
    const deleted = await h.request('acme', `/versions/${v3.id}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    await sql(acme.uri, `DROP TABLE extra`);
  });

  it('never makes a branch for a GET or HEAD (a prefetch, a refetch on focus)', async () => {
    const started = await operationsOf(async () => {
      for (const method of ['GET', 'HEAD']) {
        const response = await h.request('acme', `/versions/${v1.id}/diff`, { method });
        expect(response.status).toBe(404);
      }
    });
    expect(started).toEqual([]);
    expect(await branchNames()).toEqual(['main']);
  });

  it('opens a preview with its diff, hands its connection string to the server hook only, then discards it', async () => {
    const response = await expectStatus(
      h.request('acme', `/versions/${v1.id}/preview`, { method: 'POST' }),
      201,
    );
    const text = await response.text();
    expect(text).not.toMatch(/postgres(ql)?:\/\//);
    const body = JSON.parse(text) as CreatePreviewResponse;
    expect(body.preview).toMatchObject({ versionId: v1.id, state: 'ready' });
    expect(body.diff.tables.map((t) => t.name)).toEqual(['public.contacts', 'public.notes']);
    const hooked = previewsSeen.find((p) => p.preview.id === body.preview.id);
    expect(await sql(hooked?.connectionUri as string, 'SELECT name FROM contacts')).toEqual([
      { name: 'Ada' },
    ]);
    expect((await branchNames()).length).toBe(2);

    const listed = await json<{ previews: Array<{ id: string }> }>(await h.request('acme', '/previews'));
    expect(listed.previews.map((p) => p.id)).toEqual([body.preview.id]);
    expect((await h.request('acme', `/previews/${body.preview.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await branchNames()).toEqual(['main']);
    expect((await h.request('acme', `/previews/${body.preview.id}`, { method: 'DELETE' })).status).toBe(404);
    // Live data untouched.
    expect(await sql(acme.uri, `SELECT to_regclass('public.notes') IS NOT NULL AS present`)).toEqual([
      { present: true },
    ]);
  });

  it('promotes a preview by finalizing it: live becomes the version, nothing left behind', async () => {
    const body = await json<CreatePreviewResponse>(
      await expectStatus(h.request('acme', `/versions/${v1.id}/preview`, { method: 'POST' }), 201),
    );
    const events = await readEvents(
      await h.request('acme', `/previews/${body.preview.id}/promote`, { method: 'POST' }),
    );
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    const finalized = events.find((e) => e.event === RESTORE_EVENT.finalized);
    expect(finalized?.data).toMatchObject({ branchId: expect.stringMatching(/^br-/) });
    // The finalize path: no restoring operations, only the compute move.
    const restoring = events.filter(
      (e) => e.event === RESTORE_EVENT.operation && e.data.phase === 'restoring',
    );
    expect(restoring).toEqual([]);
    expect(await sql(acme.uri, 'SELECT * FROM contacts')).toEqual([{ id: 1, name: 'Ada' }]);
    expect(await branchNames()).toEqual(['main']);
    expect((await json<{ previews: unknown[] }>(await h.request('acme', '/previews'))).previews).toEqual([]);
  });

  it('promotes a stale preview (live changed since) by restoring the version instead', async () => {
    const body = await json<CreatePreviewResponse>(
      await expectStatus(h.request('acme', `/versions/${v2.id}/preview`, { method: 'POST' }), 201),
    );
    await readEvents(
      await h.request('acme', `/versions/${v1.id}/restore`, { method: 'POST', body: '{"undoable":false}' }),
    );
    const events = await readEvents(
      await h.request('acme', `/previews/${body.preview.id}/promote`, { method: 'POST' }),
    );
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(acme.uri, `SELECT to_regclass('public.notes') IS NOT NULL AS present`)).toEqual([
      { present: true },
    ]);
    expect(await branchNames()).toEqual(['main']);
  });

  it('sweeps expired previews on the next mutation', async () => {
    const short = h.makeApp({ previewTtlMs: 1 });
    const headers = { 'x-tenant': 'acme', 'content-type': 'application/json' };
    await expectStatus(short.request(`/versions/${v1.id}/preview`, { method: 'POST', headers }), 201);
    expect((await branchNames()).length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await short.request('/versions', {
      method: 'POST',
      headers,
      body: JSON.stringify({ label: 'after expiry' }),
    });
    expect(next.status).toBe(201);
    expect(await branchNames()).toEqual(['main']);
  });

  it('answers 404 for unknown previews', async () => {
    const missing = await h.request('acme', '/previews/nope/promote', { method: 'POST' });
    expect(missing.status).toBe(404);
    expect((await json<RewindErrorJSON>(missing)).error.code).toBe('not_found');
  });
});

describe('a version deleted while its preview waits to be promoted', () => {
  /** The harness's store with `name` wrapped: what every instance shares, seen by one of them. */
  function storeWith(
    name: keyof RewindStore,
    wrap: (call: () => Promise<unknown>, args: unknown[]) => Promise<unknown>,
  ) {
    const base = h.optionsFor().store as RewindStore;
    return new Proxy(base, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        if (key !== name) return value.bind(target);
        return (...args: unknown[]) => wrap(() => value.apply(target, args), args);
      },
    });
  }

  it('refuses the promotion (404) instead of naming the deleted version current', async () => {
    const gone = await version('deleted while previewed');
    const kept = await version('kept');
    const preview = await json<CreatePreviewResponse>(
      await expectStatus(h.request('acme', `/versions/${gone.id}/preview`, { method: 'POST' }), 201),
    );
    // The deletion holds the project lock, its row not yet removed, until the promotion has read
    // the version and is waiting for the lock: the order a slow deletion makes on a real platform.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let deleting = () => {};
    const inDeletion = new Promise<void>((resolve) => {
      deleting = resolve;
    });
    const deleter = h.makeApp({
      store: storeWith('deleteVersion', async (call) => {
        deleting();
        await held;
        return call();
      }),
    });
    let waiting = () => {};
    const promoteWaits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const promoter = h.makeApp({
      store: storeWith('acquireLock', async (call, args) => {
        const result = (await call()) as { acquired: boolean };
        if (!result.acquired && (args[1] as { kind: string }).kind === 'restore') waiting();
        return result;
      }),
    });
    const headers = { 'x-tenant': 'acme', 'content-type': 'application/json' };
    const deletion = deleter.request(`/versions/${gone.id}`, { method: 'DELETE', headers });
    await inDeletion;
    const promotion = promoter.request(`/previews/${preview.preview.id}/promote`, {
      method: 'POST',
      headers,
    });
    await promoteWaits;
    release();
    expect((await deletion).status).toBe(204);
    const refused = await promotion;
    expect(refused.status).toBe(404);
    expect((await json<RewindErrorJSON>(refused)).error.code).toBe('not_found');
    const timeline = await json<{ versions: Version[]; currentVersionId: string | null }>(
      await h.request('acme', '/versions'),
    );
    expect(timeline.versions.map((v) => v.id)).not.toContain(gone.id);
    expect(timeline.currentVersionId).toBe(kept.id);
  });
});

describe('previews filling the plan’s root branches', () => {
  it('a restore discards the oldest preview to make room, and nothing else', async () => {
    const full = await h.addTenant('full');
    await sql(full.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('v1')`);
    const save = async (label: string) =>
      (
        await json<{ version: Version }>(
          await h.request('full', '/versions', { method: 'POST', body: JSON.stringify({ label }) }),
        )
      ).version;
    const v1 = await save('v1');
    await sql(full.uri, `UPDATE t SET v = 'v2'`);
    const v2 = await save('v2');
    // The emulator's default plan (Launch) allows 5 root branches: the live one and 4 previews.
    const opened: string[] = [];
    for (const v of [v1, v2, v1, v2]) {
      const response = await expectStatus(
        h.request('full', `/versions/${v.id}/preview`, { method: 'POST' }),
        201,
      );
      opened.push((await json<CreatePreviewResponse>(response)).preview.id);
    }
    const sixth = await h.request('full', `/versions/${v1.id}/preview`, { method: 'POST' });
    expect((await json<RewindErrorJSON>(sixth)).error.details).toMatchObject({ quota: 'root_branches' });

    const restore = await expectStatus(
      h.request('full', `/versions/${v1.id}/restore`, { method: 'POST', body: '{}' }),
      200,
    );
    expect((await readEvents(restore)).at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(full.uri, 'SELECT v FROM t')).toEqual([{ v: 'v1' }]);
    const { previews } = await json<{ previews: Array<{ id: string }> }>(
      await h.request('full', '/previews'),
    );
    expect(previews.map((p) => p.id).sort()).toEqual(opened.slice(1).sort());
    await h.neon.settled(full.projectId);
    const { data } = await h.api.listProjectBranches({ projectId: full.projectId });
    expect(data.branches.filter((b) => !b.name.startsWith('rewind-preview-')).map((b) => b.name)).toEqual([
      'main',
    ]);
    expect(data.branches).toHaveLength(4);
  });
});
