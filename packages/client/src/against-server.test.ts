// The client against the real handler (`@rewind/server` over HTTP on Node) and the emulator's
// real Postgres: a Node service versions and restores a tenant's database with no React.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNeonEmulator, type NeonEmulator } from '@rewind/neon-emulator';
import { createRewind, memoryStore } from '@rewind/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewindClient, readRestoreStream } from './index';

let neon: NeonEmulator;
let server: ReturnType<typeof serve>;
let client: RewindClient;
let uri: string;

const query = async (text: string) => {
  const db = new pg.Client(uri);
  await db.connect();
  try {
    return (await db.query(text)).rows;
  } finally {
    await db.end();
  }
};

beforeAll(async () => {
  neon = await createNeonEmulator({ operationDurationMs: 30, rateLimits: false });
  const created = await neon.fetch(`${neon.baseURL}/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: JSON.stringify({ project: { name: 'client-test' } }),
  });
  const body = (await created.json()) as {
    project: { id: string };
    connection_uris: Array<{ connection_uri: string }>;
  };
  await neon.settled(body.project.id);
  uri = body.connection_uris[0]?.connection_uri as string;
  const rewind = createRewind({
    neon: { apiKey: 'x', baseURL: neon.baseURL, fetch: neon.fetch as typeof fetch },
    store: memoryStore(),
    secret: 'client-test-secret-0123456789-0123456789',
    resolveProject: (c) =>
      c.req.header('authorization') === 'Bearer agent-1' ? { projectId: body.project.id } : null,
    poll: { sparseMs: 100, denseMs: 25 },
    budget: false,
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: rewind.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  client = new RewindClient({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers: { authorization: 'Bearer agent-1' },
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await neon.close();
});

describe('RewindClient against @rewind/server', () => {
  it('versions, restores with typed events, follows by token, and undoes', async () => {
    await query(`CREATE TABLE t (v text); INSERT INTO t VALUES ('one')`);
    const one = await client.createVersion({ label: 'one' });
    await query(`UPDATE t SET v = 'two'`);
    await client.createVersion({ label: 'two' });
    expect((await client.listVersions()).versions).toHaveLength(2);
    expect((await client.diffVersion(one.id)).undoable).toBe(true);

    let token = '';
    const names: string[] = [];
    const terminal = await client.restore(
      one.id,
      {},
      { onEvent: (event) => names.push(event.event), onToken: (t) => (token ||= t) },
    );
    expect(terminal).toMatchObject({ event: 'restore.succeeded', data: { versionId: one.id } });
    expect(names).toContain('restore.finalized');
    expect(await query('SELECT v FROM t')).toEqual([{ v: 'one' }]);

    // The finished restore, followed again by its token: its terminal event at once.
    const replay: string[] = [];
    const again = await client.follow(token, 0, { onEvent: (e) => replay.push(e.event) });
    expect(again?.event).toBe('restore.succeeded');
    expect(replay.at(-1)).toBe('restore.succeeded');

    const undone = await client.undo({ onEvent: () => undefined });
    expect(undone?.event).toBe('restore.succeeded');
    expect(await query('SELECT v FROM t')).toEqual([{ v: 'two' }]);
  });

  it('a refused caller gets a typed error; a raw stream reads as typed events', async () => {
    const stranger = new RewindClient({ url: client.options.url });
    await expect(stranger.listVersions()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    const { versions } = await client.listVersions();
    const target = versions.find((v) => !v.current) ?? versions[0];
    const response = await fetch(`${client.options.url}/versions/${target?.id}/restore`, {
      method: 'POST',
      headers: { authorization: 'Bearer agent-1', 'content-type': 'application/json' },
      body: '{}',
    });
    const events = [];
    for await (const event of readRestoreStream(response)) events.push(event);
    expect(events[0]?.event).toBe('restore.started');
    expect(events.at(-1)?.event).toBe('restore.succeeded');
  });
});
