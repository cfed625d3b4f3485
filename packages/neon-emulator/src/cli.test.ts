import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient } from '@neondatabase/api-client';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx');
const cli = join(import.meta.dirname, 'cli.ts');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Start the CLI as a user would and wait for its "ready" line. */
async function startCli(
  args: string[],
): Promise<{ baseURL: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const baseURL = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; output: ${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Neon emulator ready at (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  return {
    baseURL,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => {
          running.delete(child);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

async function settle(
  api: ReturnType<typeof createApiClient>,
  projectId: string,
  ops: Array<{ id: string }>,
) {
  for (const { id } of ops) {
    for (;;) {
      const { data } = await api.getProjectOperation(projectId, id);
      if (['finished', 'skipped', 'error', 'cancelled'].includes(data.operation.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('rewind-neon-emulator CLI', () => {
  it('rejects a bad port with a clear message', async () => {
    const child = spawn(process.execPath, ['--import', tsx, cli, '--port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--port must be a port number');
  });

  it('--project creates a project once, then reuses it, and prints its id and connection string', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'neon-emu-cli-project-'));
    try {
      const args = ['--port', '0', '--data', dataDir, '--operation-ms', '20', '--project', 'my-app'];
      const first = await startCli(args);
      const printed = (cli: { output: () => string }) => ({
        id: cli.output().match(/Project my-app: (\S+)/)?.[1],
        uri: cli.output().match(/Connection string: (\S+)/)?.[1],
      });
      const one = printed(first);
      expect(one.id).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      const client = new pg.Client(one.uri);
      await client.connect();
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      await client.end();
      expect(await first.stop()).toBe(0);
      const second = await startCli(args);
      expect(printed(second).id).toBe(one.id);
      const api = createApiClient({ apiKey: 'k', baseURL: second.baseURL, adapter: 'fetch' });
      expect((await api.listProjects({})).data.projects.map((p) => p.name)).toEqual(['my-app']);
      expect(await second.stop()).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('serves the API over HTTP and keeps data across restarts with --data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'neon-emu-cli-'));
    try {
      const first = await startCli(['--port', '0', '--data', dataDir, '--operation-ms', '20']);
      expect(first.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/);
      const api = createApiClient({
        apiKey: 'k',
        baseURL: first.baseURL,
        adapter: 'fetch',
        validateStatus: () => true,
      });
      const { data: created } = await api.createProject({ project: { name: 'persisted' } });
      await settle(api, created.project.id, created.operations);
      const uri = created.connection_uris[0]?.connection_uri as string;
      const client = new pg.Client(uri);
      await client.connect();
      await client.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')`);
      await client.end();
      const snap = await api.createSnapshot({
        projectId: created.project.id,
        branchId: created.branch.id,
        name: 'keep',
      });
      await settle(api, created.project.id, snap.data.operations);
      expect(await first.stop()).toBe(0);

      const second = await startCli(['--port', '0', '--data', dataDir, '--operation-ms', '20']);
      const api2 = createApiClient({
        apiKey: 'k',
        baseURL: second.baseURL,
        adapter: 'fetch',
        validateStatus: () => true,
      });
      const { data: project } = await api2.getProject(created.project.id);
      expect(project.project.name).toBe('persisted');
      expect((await api2.listSnapshots(created.project.id)).data.snapshots.map((s) => s.name)).toEqual([
        'keep',
      ]);
      const { data: conn } = await api2.getConnectionUri({
        projectId: created.project.id,
        database_name: 'neondb',
        role_name: 'neondb_owner',
      });
      const again = new pg.Client(conn.uri);
      await again.connect();
      expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
      await again.end();
      expect(await second.stop()).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
