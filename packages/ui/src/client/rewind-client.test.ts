// The client against a real local HTTP server that streams SSE (chunked, over a socket).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { encodeRestoreEvent, type RestoreEvent, RewindError } from '@rewind/protocol';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreEvents } from '../test/fake-api';
import { RewindClient } from './rewind-client';

let server: ReturnType<typeof serve>;
let base: string;
const seenHeaders: Array<Record<string, string>> = [];

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
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tokens[0]).toBe('tok-live');
    expect(seenHeaders.at(-1)).toEqual({ authorization: 'Bearer t' });
  });

  it('turns error bodies into RewindError, and unreachable servers into neon_unavailable', async () => {
    const client = new RewindClient({ url: base });
    await expect(client.listVersions()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    const nowhere = new RewindClient({ url: 'http://127.0.0.1:1/api' });
    await expect(nowhere.listVersions()).rejects.toMatchObject({ code: 'neon_unavailable' });
  });
});
