import type { ListVersionsResponse, RewindErrorJSON, Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.addTenant('acme');
  await h.addTenant('globex');
});
afterAll(() => h.close());

const create = (tenant: string, body: unknown, headers: Record<string, string> = {}) =>
  h.request(tenant, '/versions', { method: 'POST', body: JSON.stringify(body), headers });

describe('versions', () => {
  it('creates versions as Neon snapshots (query params) with their metadata, and lists them', async () => {
    const first = await create('acme', {
      label: 'Add contacts',
      prompt: 'add a contacts table',
      codeRef: 'a1b2c3',
      metadata: { model: 'x' },
    });
    expect(first.status).toBe(201);
    const { version } = await json<{ version: Version }>(first);
    expect(version).toMatchObject({
      label: 'Add contacts',
      prompt: 'add a contacts table',
      codeRef: 'a1b2c3',
      parentId: null,
      kind: 'manual',
      current: true,
      expiresAt: null,
      metadata: { model: 'x' },
    });
    expect(version.snapshotId).toMatch(/^snap-/);
    // Named through the query parameter: Neon would have ignored a body and generated a name.
    const { data } = await h.api.listSnapshots(h.tenants.get('acme')?.projectId as string);
    expect(data.snapshots.map((s) => s.name)).toContain(`rewind-${version.id}`);

    const second = await json<{ version: Version }>(
      await create('acme', { label: 'Add tags', expiresAt: '2099-01-01T00:00:00Z' }),
    );
    expect(second.version.parentId).toBe(version.id);
    expect(second.version.expiresAt).toBe('2099-01-01T00:00:00.000Z');

    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.versions.map((v) => [v.label, v.current])).toEqual([
      ['Add contacts', false],
      ['Add tags', true],
    ]);
    expect(list.currentVersionId).toBe(second.version.id);
    expect(list.liveBranch.name).toBe('main');
    expect(list.activeRestore).toBeNull();
  });

  it('renames and deletes; deleting removes the Neon snapshot and re-parents children', async () => {
    const a = (await json<{ version: Version }>(await create('acme', { label: 'a' }))).version;
    const b = (await json<{ version: Version }>(await create('acme', { label: 'b' }))).version;
    const renamed = await h.request('acme', `/versions/${a.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ label: ' a2 ' }),
    });
    expect((await json<{ version: Version }>(renamed)).version.label).toBe('a2');
    const deleted = await h.request('acme', `/versions/${a.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const { data } = await h.api.listSnapshots(h.tenants.get('acme')?.projectId as string);
    expect(data.snapshots.map((s) => s.id)).not.toContain(a.snapshotId);
    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.versions.find((v) => v.id === b.id)?.parentId).toBe(a.parentId);
    expect((await h.request('acme', `/versions/${a.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('drops versions whose snapshot Neon deleted (expiry), so metadata never runs ahead of Neon', async () => {
    const v = (await json<{ version: Version }>(await create('acme', { label: 'short-lived' }))).version;
    const projectId = h.tenants.get('acme')?.projectId as string;
    const { data } = await h.api.deleteSnapshot(projectId, v.snapshotId);
    await h.neon.settled(projectId);
    expect(data.operations.length).toBeGreaterThan(0);
    const list = await json<ListVersionsResponse>(await h.request('acme', '/versions'));
    expect(list.versions.map((x) => x.id)).not.toContain(v.id);
  });

  it('makes retries safe with Idempotency-Key, even when sent twice at once', async () => {
    const projectId = h.tenants.get('globex')?.projectId as string;
    const before = (await h.api.listSnapshots(projectId)).data.snapshots.length;
    const headers = { 'idempotency-key': 'prompt-42' };
    const [one, two] = await Promise.all([
      create('globex', { label: 'once' }, headers),
      create('globex', { label: 'once' }, headers),
    ]);
    const ids = [
      (await json<{ version: Version }>(one)).version.id,
      (await json<{ version: Version }>(two)).version.id,
    ];
    expect(ids[0]).toBe(ids[1]);
    expect([one.status, two.status].sort()).toEqual([200, 201]);
    expect((await h.api.listSnapshots(projectId)).data.snapshots.length).toBe(before + 1);
  });
});

describe('input and errors', () => {
  it.each([
    ['no label', {}],
    ['empty label', { label: '   ' }],
    ['unknown field', { label: 'x', extra: 1 }],
    ['bad expiresAt', { label: 'x', expiresAt: 'tomorrow' }],
    ['past expiresAt', { label: 'x', expiresAt: '2001-01-01T00:00:00Z' }],
    ['non-JSON metadata', { label: 'x', metadata: 'str' }],
  ])('rejects %s with a typed 400', async (_name, body) => {
    const response = await create('acme', body);
    expect(response.status).toBe(400);
    const error = await json<RewindErrorJSON>(response);
    expect(error.error.code).toBe('bad_request');
    expect(error.error.message).toMatch(/\S/);
  });

  it('rejects malformed JSON, oversized bodies and unknown parents', async () => {
    const malformed = await h.request('acme', '/versions', { method: 'POST', body: '{nope' });
    expect((await json<RewindErrorJSON>(malformed)).error.code).toBe('bad_request');
    const huge = await create('acme', { label: 'x', prompt: 'p'.repeat(70_000) });
    expect(huge.status).toBe(413);
    expect((await json<RewindErrorJSON>(huge)).error.code).toBe('payload_too_large');
    const orphan = await create('acme', { label: 'x', parentId: 'v-does-not-exist' });
    expect(orphan.status).toBe(404);
  });

  it('answers 401 when the platform refuses the request, and 404 for unknown routes', async () => {
    const refused = await h.app.request('/versions');
    expect(refused.status).toBe(401);
    expect((await json<RewindErrorJSON>(refused)).error.code).toBe('unauthorized');
    const unknown = await h.request('acme', '/nope');
    expect(unknown.status).toBe(404);
  });

  it("never shows or touches another tenant's versions", async () => {
    const mine = (await json<{ version: Version }>(await create('acme', { label: 'acme only' }))).version;
    const list = await json<ListVersionsResponse>(await h.request('globex', '/versions'));
    expect(list.versions.map((v) => v.id)).not.toContain(mine.id);
    for (const [method, path, body] of [
      ['PATCH', `/versions/${mine.id}`, { label: 'stolen' }],
      ['DELETE', `/versions/${mine.id}`, undefined],
      ['POST', `/versions/${mine.id}/restore`, {}],
      ['POST', `/versions/${mine.id}/preview`, undefined],
      ['GET', `/versions/${mine.id}/diff`, undefined],
    ] as const) {
      const response = await h.request('globex', path, {
        method,
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
  });

  it('keeps the Neon key and connection strings out of every response', async () => {
    const bodies = await Promise.all([
      h.request('acme', '/versions').then((r) => r.text()),
      create('acme', { label: 'secret check' }).then((r) => r.text()),
    ]);
    for (const body of bodies) {
      expect(body).not.toContain('test-neon-key');
      expect(body).not.toMatch(/postgres(ql)?:\/\//);
    }
  });
});
