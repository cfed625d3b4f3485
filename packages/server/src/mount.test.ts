import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rewind: { heartbeatMs: 100 } });
  await h.addTenant('acme');
});
afterAll(() => h.close());

describe('mounting and streaming', () => {
  it('mounts under any path of a platform app', async () => {
    const platform = new Hono().route('/api/rewind', h.makeApp());
    const response = await platform.request('/api/rewind/versions', { headers: { 'x-tenant': 'acme' } });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ versions: [], liveBranch: { name: 'main' } });
  });

  it('answers under basePath when called with the full path (a framework catch-all route)', async () => {
    const rewind = h.makeApp({ basePath: '/api/rewind' });
    const nextStyle = (request: Request) => rewind.fetch(request);
    const response = await nextStyle(
      new Request('http://app.example/api/rewind/versions', { headers: { 'x-tenant': 'acme' } }),
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ versions: [], liveBranch: { name: 'main' } });
    const outside = await nextStyle(
      new Request('http://app.example/versions', { headers: { 'x-tenant': 'acme' } }),
    );
    expect(outside.status).toBe(404);
    expect(() => h.makeApp({ basePath: 'api/rewind/' })).toThrow(/basePath/);
  });

  it('sends heartbeats that carry the last event id while operations run', async () => {
    const slow = h.makeApp({ heartbeatMs: 100 });
    h.neon.faults.set({ latencyMs: 150 });
    try {
      const headers = { 'x-tenant': 'acme', 'content-type': 'application/json' };
      const made = await slow.request('/versions', { method: 'POST', headers, body: '{"label":"hb"}' });
      const { version } = await json<{ version: { id: string } }>(made);
      const response = await slow.request(`/versions/${version.id}/restore`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      const text = await response.text();
      const heartbeats = [...text.matchAll(/event: heartbeat\nid: (\d+)/g)].map((m) => Number(m[1]));
      expect(heartbeats.length).toBeGreaterThan(2);
      expect(heartbeats).toEqual([...heartbeats].sort((a, b) => a - b));
      expect(text).toContain('event: restore.succeeded');
    } finally {
      h.neon.faults.reset();
    }
  });
});
