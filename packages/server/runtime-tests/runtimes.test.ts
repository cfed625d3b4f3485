// The same handler, unchanged, in real Node, Cloudflare workerd (Miniflare), Vercel's edge
// runtime, Deno and Bun: create a version, restore it over SSE, list — against the emulator
// serving the Neon API (and real Postgres) on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createApiClient } from '@neondatabase/api-client';
import { type NeonEmulatorServer, startNeonEmulator } from '@rewind/neon-emulator';
import type { ListVersionsResponse, Version } from '@rewind/protocol';
import { EdgeRuntime, runServer } from 'edge-runtime';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents, sql } from '../src/test/harness';
import { startNode } from './node';

const require = createRequire(import.meta.url);
let neon: NeonEmulatorServer;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  neon = await startNeonEmulator({ port: 0, operationDurationMs: 30, rateLimits: false });
  dir = await mkdtemp(join(tmpdir(), 'rewind-runtimes-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await neon?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Bundle an adapter for a runtime that cannot read TypeScript or the workspace. */
async function bundle(
  entry: string,
  format: 'esm' | 'iife',
  define: Record<string, string> = {},
): Promise<string> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, entry)],
    bundle: true,
    write: false,
    format,
    platform: 'browser',
    target: 'es2022',
    conditions: ['@rewind/source', 'worker', 'browser'],
    define,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text as string;
}

async function newTenant(name: string) {
  const api = createApiClient({ apiKey: 'k', baseURL: neon.baseURL, adapter: 'fetch' });
  const { data } = await api.createProject({ project: { name } });
  await neon.settled(data.project.id);
  const uri = data.connection_uris[0]?.connection_uri as string;
  return { projectId: data.project.id, uri };
}

type Call = (path: string, init?: RequestInit) => Promise<Response>;

/** create → restore over SSE → list, with the data checked over the unchanged connection string. */
async function scenario(call: Call, runtime: string) {
  const tenant = await newTenant(runtime);
  const headers = { 'x-project-id': tenant.projectId, 'content-type': 'application/json' };
  await sql(tenant.uri, `CREATE TABLE t (v text); INSERT INTO t VALUES ('${runtime} v1')`);
  const created = await call('/versions', {
    method: 'POST',
    headers,
    body: JSON.stringify({ label: `${runtime} v1` }),
  });
  expect(created.status).toBe(201);
  const { version } = (await created.json()) as { version: Version };
  await sql(tenant.uri, `UPDATE t SET v = 'changed'`);

  const restored = await call(`/versions/${version.id}/restore`, { method: 'POST', headers, body: '{}' });
  expect(restored.status).toBe(200);
  expect(restored.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events = await readEvents(restored);
  expect(events[0]?.event).toBe('restore.started');
  expect(events.at(-1)?.event).toBe('restore.succeeded');
  expect(await sql(tenant.uri, 'SELECT v FROM t')).toEqual([{ v: `${runtime} v1` }]);

  const list = (await (await call('/versions', { headers })).json()) as ListVersionsResponse;
  expect(list.currentVersionId).toBe(version.id);
  expect(list.versions.map((v) => v.kind).sort()).toEqual(['manual', 'pre-restore']);
}

function spawnServer(command: string, args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/listening (\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${output}`)));
  });
}

const over =
  (base: string): Call =>
  (path, init) =>
    fetch(`${base}${path}`, init);

describe('one handler, every runtime', () => {
  it('Node (@hono/node-server)', async () => {
    const server = await startNode(neon.baseURL);
    try {
      await scenario(over(server.url), 'node');
    } finally {
      await server.close();
    }
  });

  it('Cloudflare workerd (Miniflare)', async () => {
    const script = await bundle('worker.ts', 'esm');
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2026-05-01',
      bindings: { NEON_BASE_URL: neon.baseURL },
    });
    try {
      await scenario(
        (path, init) => mf.dispatchFetch(`http://worker.local${path}`, init as never) as never,
        'workerd',
      );
    } finally {
      await mf.dispose();
    }
  });

  it('Cloudflare workerd with the metadata in Neon, through @neondatabase/serverless', async () => {
    const metadata = await newTenant('metadata');
    const script = await bundle('serverless-worker.ts', 'esm');
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2026-05-01',
      bindings: {
        NEON_BASE_URL: neon.baseURL,
        METADATA_DATABASE_URL: metadata.uri,
        SQL_ENDPOINT: neon.baseURL.replace(/\/api\/v2$/, '/sql'),
      },
    });
    try {
      await scenario(
        (path, init) => mf.dispatchFetch(`http://worker.local${path}`, init as never) as never,
        'workerd-serverless',
      );
      // The versions live in the metadata database: read them back over the wire protocol.
      const rows = await sql<{ label: string }>(
        metadata.uri,
        'SELECT label FROM rewind_versions ORDER BY label',
      );
      expect(rows.map((r) => r.label)).toContain('workerd-serverless v1');
    } finally {
      await mf.dispose();
    }
  });

  it("Vercel's edge runtime", async () => {
    const initialCode = await bundle('edge.ts', 'iife', { NEON_BASE_URL: JSON.stringify(neon.baseURL) });
    const runtime = new EdgeRuntime({ initialCode });
    const server = await runServer({ runtime, port: 0, host: '127.0.0.1' });
    try {
      await scenario(over(server.url.replace(/\/$/, '')), 'edge');
    } finally {
      await server.close();
    }
  });

  it('Deno', async () => {
    const file = join(dir, 'deno.mjs');
    await writeFile(file, await bundle('deno.ts', 'esm'));
    const deno = join(dirname(require.resolve('deno-npm/package.json')), 'deno');
    const url = await spawnServer(deno, ['run', '--allow-net', '--allow-env', '--no-prompt', file], {
      NEON_BASE_URL: neon.baseURL,
      DENO_NO_UPDATE_CHECK: '1',
      DENO_DIR: join(dir, 'deno-cache'),
    });
    await scenario(over(url), 'deno');
  });

  it('Bun', async () => {
    const file = join(dir, 'bun.mjs');
    await writeFile(file, await bundle('bun.ts', 'esm'));
    const bun = join(dirname(require.resolve('bun-npm/package.json')), 'bin', 'bun.exe');
    const url = await spawnServer(bun, ['run', file], { NEON_BASE_URL: neon.baseURL });
    await scenario(over(url), 'bun');
  });
});
