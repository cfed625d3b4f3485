import { createApiClient } from '@neondatabase/api-client';
import { neon, neonConfig, Pool } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws from 'ws';
import { type NeonEmulatorServer, startNeonEmulator } from './server';

// Neon's serverless driver against emulator branches, with the driver's documented settings for
// a local proxy: SQL over HTTP at /sql, and the wire protocol over a WebSocket at /v2.
let neonApi: NeonEmulatorServer;
let uri: string;

beforeAll(async () => {
  neonApi = await startNeonEmulator({ port: 0, operationDurationMs: 20, rateLimits: false });
  const api = createApiClient({ apiKey: 'k', baseURL: neonApi.baseURL, adapter: 'fetch' });
  const { data } = await api.createProject({ project: { name: 'driver' } });
  await neonApi.settled(data.project.id);
  uri = data.connection_uris[0]?.connection_uri as string;
  const origin = neonApi.baseURL.replace(/\/api\/v2$/, '');
  neonConfig.fetchEndpoint = () => `${origin}/sql`;
  neonConfig.webSocketConstructor = ws; // Node 20 has no global WebSocket
  neonConfig.wsProxy = (host, port) => `${origin.replace('http://', '')}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
});
afterAll(() => neonApi?.close());

describe('@neondatabase/serverless against the emulator', () => {
  it('runs queries over HTTP with parameters, types and errors as Neon answers them', async () => {
    const sql = neon(uri);
    await sql.query('CREATE TABLE notes (id int PRIMARY KEY, body text, doc jsonb, at timestamptz)');
    await sql.query('INSERT INTO notes VALUES ($1, $2, $3, $4)', [
      1,
      'hi',
      { a: 1 },
      new Date('2026-01-01T00:00:00Z'),
    ]);
    const rows = await sql`SELECT id, body, doc, at FROM notes WHERE id = ${1}`;
    expect(rows).toEqual([{ id: 1, body: 'hi', doc: { a: 1 }, at: new Date('2026-01-01T00:00:00Z') }]);
    const full = await sql.query('UPDATE notes SET body = $1', ['bye'], { fullResults: true });
    expect(full).toMatchObject({ command: 'UPDATE', rowCount: 1 });
    await expect(sql.query('SELECT nope FROM notes')).rejects.toMatchObject({ code: '42703' });
    // A batch is one transaction: a failing statement leaves nothing of the others.
    await expect(
      sql.transaction([sql`INSERT INTO notes VALUES (2, 'two', null, null)`, sql`SELECT 1/0`]),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await sql`SELECT count(*)::int AS n FROM notes`).toEqual([{ n: 1 }]);
  });

  it('carries the wire protocol over the WebSocket proxy (Pool, interactive transactions)', async () => {
    const pool = new Pool({ connectionString: uri });
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query(`INSERT INTO notes VALUES (3, 'three', null, null)`);
      await client.query('ROLLBACK');
      client.release();
      const { rows } = await pool.query('SELECT id FROM notes ORDER BY id');
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('is not an open proxy: only the emulator endpoints are reachable', async () => {
    const response = await fetch(`${neonApi.baseURL.replace(/\/api\/v2$/, '')}/sql`, {
      method: 'POST',
      headers: { 'neon-connection-string': 'postgresql://u:p@10.0.0.1/db' },
      body: '{"query":"SELECT 1","params":[]}',
    });
    expect(response.status).toBe(404);
  });
});
