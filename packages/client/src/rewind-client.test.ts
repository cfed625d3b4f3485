// The client against a real local HTTP server that streams SSE (chunked, over a socket), in
// Node with no React anywhere: what a Node service or an agent runs.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { encodeRestoreEvent, type RestoreEvent, RewindError } from '@rewind/protocol';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewindClient, readRestoreStream } from './index';

let server: ReturnType<typeof serve>;
let base: string;
const seenHeaders: Array<Record<string, string>> = [];

function restoreEvents(versionId: string, token: string): RestoreEvent[] {
  const at = new Date().toISOString();
  return [
    { event: 'restore.started', id: 1, data: { versionId, token, undoVersionId: null, startedAt: at } },
    {
      event: 'restore.operation',
      id: 2,
      data: { operationId: 'op-1', action: 'create_branch', status: 'running', phase: 'restoring' },
    },
    { event: 'restore.progress', id: 3, data: { phase: 'restoring', progress: 0.6, settled: 2, total: 2 } },
    { event: 'heartbeat', id: 4, data: {} },
    { event: 'restore.finalized', id: 5, data: { branchId: 'br-new', versionId, undoVersionId: 'v-undo' } },
    { event: 'restore.undo-available', id: 6, data: { undoVersionId: 'v-undo' } },
    { event: 'restore.progress', id: 7, data: { phase: 'cleanup', progress: 1, settled: 1, total: 1 } },
    {
      event: 'restore.succeeded',
      id: 8,
      data: { versionId, undoVersionId: 'v-undo', branchId: 'br-new', finishedAt: at },
    },
  ];
}

beforeAll(async () => {
  const app = new Hono();
  app.post('/api/rewind/versions/:id/restore', (c) => {
    seenHeaders.push({ authorization: c.req.header('authorization') ?? '' });
    c.header('content-type', 'text/event-stream');
    c.header('rewind-restore-token', 'tok-live');
    return stream(c, async (out) => {
      for (const event of restoreEvents(c.req.param('id'), 'tok-live')) {
        // Split each event across writes, as proxies do, to exercise the parser's buffering.
        const text = encodeRestoreEvent(event);
        await out.write(text.slice(0, 7));
        await out.sleep(5);
        await out.write(text.slice(7));
        await out.write(': comment lines are ignored\n\n');
      }
    });
  });
  app.get('/api/rewind/versions', (c) => c.json(new RewindError('unauthorized', 'nope').toJSON(), 401));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/rewind`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('RewindClient over real HTTP', () => {
  it('streams a restore from a real server, with async headers', async () => {
    const client = new RewindClient({ url: base, headers: async () => ({ authorization: 'Bearer t' }) });
    const events: RestoreEvent[] = [];
    const tokens: string[] = [];
    const terminal = await client.restore(
      'v9',
      {},
      { onEvent: (e) => events.push(e), onToken: (t) => tokens.push(t) },
    );
    expect(terminal?.event).toBe('restore.succeeded');
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(tokens[0]).toBe('tok-live');
    expect(seenHeaders.at(-1)).toEqual({ authorization: 'Bearer t' });
  });

  it('reads a raw SSE response as typed events, ending at the terminal one', async () => {
    const response = await fetch(`${base}/versions/v3/restore`, { method: 'POST', body: '{}' });
    const names: string[] = [];
    for await (const event of readRestoreStream(response)) names.push(event.event);
    expect(names).toEqual([
      'restore.started',
      'restore.operation',
      'restore.progress',
      'restore.finalized',
      'restore.undo-available',
      'restore.progress',
      'restore.succeeded',
    ]);
  });

  it('turns error bodies into RewindError, and unreachable servers into neon_unavailable', async () => {
    const client = new RewindClient({ url: base });
    await expect(client.listVersions()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    const nowhere = new RewindClient({ url: 'http://127.0.0.1:1/api' });
    await expect(nowhere.listVersions()).rejects.toMatchObject({ code: 'neon_unavailable' });
  });
});

describe('the package', () => {
  it('has no React peer and no client-component banner (Node, RSC and agents import it)', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(manifest.peerDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).toEqual(['@rewind/protocol', 'eventsource-parser']);
    const sources = (await readdir(new URL('.', import.meta.url))).filter((f) => !f.includes('.test.'));
    expect(sources).toContain('rewind-client.ts');
    for (const file of sources) {
      const text = await readFile(new URL(file, import.meta.url), 'utf8');
      expect(text).not.toMatch(/^\s*['"]use client['"]/m);
      expect(text).not.toMatch(/from 'react/);
    }
  });
});
