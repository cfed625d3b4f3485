import {
  type ListVersionsResponse,
  RESTORE_EVENT,
  type RestoreEvent,
  type RewindErrorJSON,
  type Version,
} from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, readEvents, sql, startHarness, type Tenant } from './test/harness';

let h: Harness;
let acme: Tenant;
beforeAll(async () => {
  h = await startHarness();
  acme = await h.addTenant('acme');
});
afterAll(() => h.close());

async function version(tenant: string, label: string): Promise<Version> {
  const response = await h.request(tenant, '/versions', { method: 'POST', body: JSON.stringify({ label }) });
  expect(response.status).toBe(201);
  return (await json<{ version: Version }>(response)).version;
}

async function restore(tenant: string, versionId: string, body: unknown = {}) {
  return h.request(tenant, `/versions/${versionId}/restore`, { method: 'POST', body: JSON.stringify(body) });
}

async function branchNames(projectId: string) {
  const { data } = await h.api.listProjectBranches({ projectId });
  return data.branches.map((b) => b.name).sort();
}

const names = (events: RestoreEvent[]) => events.map((e) => e.event);

describe('restore over SSE', () => {
  it('puts version k back behind the unchanged connection string, streams every step, cleans up', async () => {
    await sql(
      acme.uri,
      `CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts VALUES (1, 'Ada')`,
    );
    const v1 = await version('acme', 'v1: contacts');
    await sql(
      acme.uri,
      `ALTER TABLE contacts ADD COLUMN company text; INSERT INTO contacts VALUES (2, 'Grace', 'Navy')`,
    );
    const v2 = await version('acme', 'v2: company');
    await sql(acme.uri, `ALTER TABLE contacts ADD COLUMN tags text[]; UPDATE contacts SET tags = '{vip}'`);
    const v3 = await version('acme', 'v3: tags');
    expect(v3.parentId).toBe(v2.id);

    const response = await restore('acme', v1.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toContain('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const token = response.headers.get('rewind-restore-token');
    expect(token).toBeTruthy();
    const events = await readEvents(response);

    expect(events[0]?.event).toBe(RESTORE_EVENT.started);
    expect(events[0]?.data).toMatchObject({ versionId: v1.id, token });
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // Real operations from Neon, in their phases.
    const operations = events.filter((e) => e.event === RESTORE_EVENT.operation).map((e) => e.data);
    const actions = new Set(operations.map((op) => `${op.phase}:${op.action}`));
    // The "(old)" branch has no compute left, so its deletion is a single delete_timeline.
    expect(actions).toEqual(
      new Set([
        'undo-snapshot:create_timeline',
        'restoring:timeline_unarchive',
        'restoring:create_branch',
        'finalizing:suspend_compute',
        'cleanup:delete_timeline',
      ]),
    );
    const progress = events.filter((e) => e.event === RESTORE_EVENT.progress).map((e) => e.data.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
    expect(names(events)).toContain(RESTORE_EVENT.finalized);
    expect(events.filter((e) => e.event === RESTORE_EVENT.cleanup).map((e) => e.data.status)).toEqual([
      'started',
      'done',
    ]);
    // Only Neon's restore chain comes before "finalized": the undo point (a snapshot of the
    // replaced branch) and the "(old)" branch's deletion follow it, then success.
    const at = (event: RestoreEvent['event']) => names(events).indexOf(event);
    const firstOp = (phase: string) =>
      events.findIndex((e) => e.event === RESTORE_EVENT.operation && e.data.phase === phase);
    expect(firstOp('restoring')).toBeLessThan(at(RESTORE_EVENT.finalized));
    expect(at(RESTORE_EVENT.finalized)).toBeLessThan(firstOp('undo-snapshot'));
    expect(at(RESTORE_EVENT.undoAvailable)).toBeGreaterThan(at(RESTORE_EVENT.finalized));
    expect(at(RESTORE_EVENT.undoAvailable)).toBeLessThan(firstOp('cleanup'));
    expect(at(RESTORE_EVENT.finalized)).toBeLessThan(at(RESTORE_EVENT.succeeded));
    expect(events.find((e) => e.event === RESTORE_EVENT.finalized)?.data).toMatchObject({
      versionId: v1.id,
      undoVersionId: null,
    });

    // The same connection string now reads version 1's schema and data.
    expect(await sql(acme.uri, `SELECT * FROM contacts ORDER BY id`)).toEqual([{ id: 1, name: 'Ada' }]);
    expect(await branchNames(acme.projectId)).toEqual(['main']);

    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.currentVersionId).toBe(v1.id);
    const undo = list.versions.find((v) => v.kind === 'pre-restore');
    expect(undo).toMatchObject({ parentId: v3.id, current: false });
    // Named after what it holds (v3's data and anything written since), not after the restore.
    expect(undo?.label).toBe('v3: tags + later changes');
    const succeeded = events.at(-1) as Extract<RestoreEvent, { event: 'restore.succeeded' }>;
    expect(succeeded.data.undoVersionId).toBe(undo?.id);
    expect(list.liveBranch.id).toBe(succeeded.data.branchId);

    // Undo puts version 3 back; history forks from the restored version.
    const undone = await readEvents(await h.request('acme', '/undo', { method: 'POST' }));
    expect(undone.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(acme.uri, `SELECT id, tags FROM contacts ORDER BY id`)).toEqual([
      { id: 1, tags: ['vip'] },
      { id: 2, tags: ['vip'] },
    ]);
    expect(await branchNames(acme.projectId)).toEqual(['main']);

    await readEvents(await restore('acme', v2.id, { undoable: false }));
    expect(await sql(acme.uri, `SELECT id, company FROM contacts ORDER BY id`)).toEqual([
      { id: 1, company: null },
      { id: 2, company: 'Navy' },
    ]);
    const fork = await version('acme', 'v2b: after rollback');
    expect(fork.parentId).toBe(v2.id);
    const after = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(after.versions.filter((v) => v.parentId === v2.id).map((v) => v.label)).toEqual([
      'v3: tags',
      'v2b: after rollback',
    ]);
  });

  it('offers Undo as soon as its undo point exists: an Undo clicked then waits out the cleanup and runs', async () => {
    const tenant = await h.addTenant('quick-undo');
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('one')`);
    const one = await version('quick-undo', 'one');
    await sql(tenant.uri, `UPDATE t SET v = 'two'`);
    await version('quick-undo', 'two');
    const started = await restore('quick-undo', one.id);
    const seen = await readEvents(started, (e) => e.event === RESTORE_EVENT.undoAvailable);
    expect(seen.at(-1)?.event).toBe(RESTORE_EVENT.undoAvailable);
    expect(seen.some((e) => e.event === RESTORE_EVENT.succeeded)).toBe(false);
    const undo = await h.request('quick-undo', '/undo', { method: 'POST', body: '{}' });
    expect(undo.status).toBe(200);
    const events = await readEvents(undo);
    expect(events[0]?.data).toMatchObject({
      versionId: (seen.at(-1)?.data as { undoVersionId?: string } | undefined)?.undoVersionId,
    });
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'two' }]);
    await h.neon.settled(tenant.projectId);
    expect(await branchNames(tenant.projectId)).toEqual(['main']);
  });

  it('a request sent on the terminal event waits for the lock to be released, never restore_in_progress', async () => {
    // The job stores `restore.succeeded`, then releases the lock: a client that acts on the event
    // can land in between. A slow store (here, a release that takes 1.5 s) holds that window open.
    const store = h.optionsFor().store;
    const slowRelease = new Proxy(store, {
      get(target, key: keyof typeof store) {
        const method = target[key] as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (key === 'releaseLock') await new Promise((resolve) => setTimeout(resolve, 1_500));
          return method.apply(target, args);
        };
      },
    });
    const app = h.makeApp({ store: slowRelease });
    const tenant = await h.addTenant('released-after-end');
    const headers = { 'x-tenant': tenant.name, 'content-type': 'application/json' };
    await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('one')`);
    const one = await version(tenant.name, 'one');
    await sql(tenant.uri, `UPDATE t SET v = 'two'`);
    await version(tenant.name, 'two');
    const events = await readEvents(
      await app.request(`/versions/${one.id}/restore`, { method: 'POST', headers, body: '{}' }),
    );
    expect(events.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    const undo = await app.request('/undo', { method: 'POST', headers, body: '{}' });
    expect(undo.status).toBe(200);
    expect((await readEvents(undo)).at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    const saved = await app.request('/versions', {
      method: 'POST',
      headers,
      body: '{"label":"right after"}',
    });
    expect(saved.status).toBe(201);
    expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: 'two' }]);
  });

  it('runs exactly one of many parallel restores; the others get restore_in_progress and can attach', async () => {
    const v = await version('acme', 'parallel target');
    const responses = await Promise.all(Array.from({ length: 6 }, () => restore('acme', v.id)));
    const streams = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 409);
    expect(streams).toHaveLength(1);
    expect(refused).toHaveLength(5);
    const errors = await Promise.all(refused.map((r) => json<RewindErrorJSON>(r)));
    const tokens = new Set(
      errors.map((e) => (e.error.details?.restore as { token?: string } | undefined)?.token),
    );
    expect(errors.every((e) => e.error.code === 'restore_in_progress')).toBe(true);
    expect(tokens).toEqual(new Set([streams[0]?.headers.get('rewind-restore-token')]));

    // A second tab attaches with the token and sees the same restore end.
    const [token] = [...tokens];
    const attached = await h.request('acme', `/restores/${token}/events`);
    const [own, followed] = await Promise.all([readEvents(streams[0] as Response), readEvents(attached)]);
    expect(own.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    expect(followed.map((e) => e.id)).toEqual(own.map((e) => e.id));
    // And the project is free again.
    const next = await restore('acme', v.id, { undoable: false });
    expect(next.status).toBe(200);
    await readEvents(next);
    expect(await branchNames(acme.projectId)).toEqual(['main']);
  });

  it('resumes after a dropped stream with Last-Event-ID, and a dropped stream never cancels', async () => {
    const v = await version('acme', 'resume target');
    const response = await restore('acme', v.id);
    const token = response.headers.get('rewind-restore-token') as string;
    const firstPart = await readEvents(response, 3); // then the client goes away
    const lastId = firstPart.at(-1)?.id as number;
    const resumed = await readEvents(
      await h.request('acme', `/restores/${token}/events`, { headers: { 'last-event-id': String(lastId) } }),
    );
    expect(resumed[0]?.id).toBe(lastId + 1);
    expect(resumed.at(-1)?.event).toBe(RESTORE_EVENT.succeeded);
    // Reconnecting after the end replays from the log.
    const replay = await readEvents(await h.request('acme', `/restores/${token}/events?lastEventId=0`));
    expect(replay.map((e) => e.id)).toEqual([...firstPart, ...resumed].map((e) => e.id));
  });

  it('refuses tampered and foreign tokens', async () => {
    const globex = await h.addTenant('globex-restore');
    const v = await version('acme', 'token target');
    const response = await restore('acme', v.id, { undoable: false });
    const token = response.headers.get('rewind-restore-token') as string;
    await readEvents(response);
    const [payload, signature] = token.split('.') as [string, string];
    const tampered = `${payload.slice(0, -2)}${payload.at(-2) === 'A' ? 'B' : 'A'}${payload.at(-1)}.${signature}`;
    const bad = await h.request('acme', `/restores/${tampered}/events`);
    expect(bad.status).toBe(400);
    expect((await json<RewindErrorJSON>(bad)).error.code).toBe('invalid_token');
    expect((await h.request('acme', '/restores/garbage/events')).status).toBe(400);
    const foreign = await h.request(globex.name, `/restores/${token}/events`);
    expect(foreign.status).toBe(404);
    const badId = await h.request('acme', `/restores/${token}/events`, { headers: { 'last-event-id': 'x' } });
    expect(badId.status).toBe(400);
  });

  it('answers 404 for unknown versions and an undo with nothing to undo', async () => {
    const fresh = await h.addTenant('fresh');
    expect((await restore(fresh.name, 'v-nope')).status).toBe(404);
    const undo = await h.request(fresh.name, '/undo', { method: 'POST' });
    expect(undo.status).toBe(404);
    expect((await json<RewindErrorJSON>(undo)).error.code).toBe('not_found');
  });
});
