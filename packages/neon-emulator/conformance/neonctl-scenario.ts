import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * One scenario, run by Neon's own CLI (neonctl, from npm) against a Neon API: the emulator in
 * `neonctl.test.ts`, the real Neon in `run-against-neon.ts` (`pnpm conformance:neon`). Every step
 * is a neonctl command a platform engineer would type; the emulator conforms when all succeed
 * and the data behind the connection string is what a snapshot restore promises.
 */
export interface ScenarioTarget {
  apiHost: string;
  apiKey: string;
  /** `omit` against the emulator (no TLS); `require` against Neon. */
  ssl: 'omit' | 'require';
  /** For an organisation's API key: where the project is created and listed. */
  orgId?: string;
  log?: (line: string) => void;
}

export interface StepResult {
  step: string;
  ok: boolean;
  detail?: string;
}

const run = promisify(execFile);
const require = createRequire(import.meta.url);
// The package's bin, run with this Node: no global install, no PATH lookup.
const cli = join(dirname(require.resolve('neonctl/package.json')), 'bin', 'cli.js');

export async function neonctl<T = unknown>(target: ScenarioTarget, args: string[]): Promise<T> {
  const { stdout } = await run(
    process.execPath,
    [
      cli,
      ...args,
      '--api-host',
      target.apiHost,
      '--api-key',
      target.apiKey,
      '--no-analytics',
      '--output',
      'json',
    ],
    {
      timeout: 120_000,
      env: { ...process.env, NEON_API_KEY: target.apiKey, CI: 'true' },
      maxBuffer: 16 << 20,
    },
  );
  return JSON.parse(stdout) as T;
}

async function connectionString(target: ScenarioTarget, projectId: string, branch: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      cli,
      'connection-string',
      branch,
      '--project-id',
      projectId,
      '--ssl',
      target.ssl,
      '--api-host',
      target.apiHost,
      '--api-key',
      target.apiKey,
      '--no-analytics',
    ],
    { timeout: 120_000, env: { ...process.env, CI: 'true' } },
  );
  return stdout.trim();
}

async function sql<T extends pg.QueryResultRow>(uri: string, text: string): Promise<T[]> {
  // neonctl asks for channel binding, which node-postgres does not speak: the TLS mode stays.
  const url = new URL(uri);
  url.searchParams.delete('channel_binding');
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

interface Project {
  id: string;
  name: string;
}

/** Runs every step; stops at the first failure. Deletes the project it made, whatever happens. */
export async function runNeonctlScenario(target: ScenarioTarget): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const log = target.log ?? (() => undefined);
  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    try {
      const value = await body();
      results.push({ step: name, ok: true });
      log(`ok   ${name}`);
      return value;
    } catch (error) {
      const detail = String((error as { stderr?: string }).stderr || error).slice(0, 500);
      results.push({ step: name, ok: false, detail });
      log(`FAIL ${name}: ${detail}`);
      throw error;
    }
  };
  const name = `rewind-conformance-${Date.now().toString(36)}`;
  const org = target.orgId ? ['--org-id', target.orgId] : [];
  let projectId: string | undefined;
  try {
    const created = await step('projects create', () =>
      neonctl<{ project: Project }>(target, ['projects', 'create', '--name', name, ...org]),
    );
    projectId = created.project.id;
    const id = projectId;
    await step('projects list', async () => {
      const listed = await neonctl<{ projects: Project[] } | Project[]>(target, ['projects', 'list', ...org]);
      const projects = Array.isArray(listed) ? listed : listed.projects;
      if (!projects.some((p) => p.id === id)) throw new Error(`${id} missing from projects list`);
    });
    await step('projects get', async () => {
      const got = await neonctl<Project>(target, ['projects', 'get', id]);
      if (got.id !== id) throw new Error(`projects get answered ${got.id}`);
    });
    await step('branches list', async () => {
      const branches = await neonctl<{ name: string; default: boolean }[]>(target, [
        'branches',
        'list',
        '--project-id',
        id,
      ]);
      if (!branches.some((b) => b.default)) throw new Error('no default branch');
    });
    await step('branches create', () =>
      neonctl(target, ['branches', 'create', '--name', 'dev', '--project-id', id]),
    );
    await step('branches get', async () => {
      const dev = await neonctl<{ name: string }>(target, ['branches', 'get', 'dev', '--project-id', id]);
      if (dev.name !== 'dev') throw new Error(`branches get answered ${dev.name}`);
    });
    await step('databases list', async () => {
      const dbs = await neonctl<{ name: string }[]>(target, ['databases', 'list', '--project-id', id]);
      if (dbs.length === 0) throw new Error('no databases');
    });
    await step('roles list', async () => {
      const roles = await neonctl<{ name: string }[]>(target, ['roles', 'list', '--project-id', id]);
      if (roles.length === 0) throw new Error('no roles');
    });
    const uri = await step('connection-string', () => connectionString(target, id, 'main'));
    await step('connect and write v1', () =>
      sql(
        uri,
        `CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts VALUES (1, 'Ada')`,
      ),
    );
    const snapshot = await step('snapshots create', () =>
      neonctl<{ id: string; name: string } | { snapshot: { id: string } }>(target, [
        'snapshots',
        'create',
        '--name',
        'v1',
        '--project-id',
        id,
      ]),
    );
    const snapshotId = 'snapshot' in snapshot ? snapshot.snapshot.id : snapshot.id;
    await step('write v2', () => sql(uri, `INSERT INTO contacts VALUES (2, 'Grace')`));
    await step('snapshots list', async () => {
      const listed = await neonctl<{ id: string }[] | { snapshots: { id: string }[] }>(target, [
        'snapshots',
        'list',
        '--project-id',
        id,
      ]);
      const snapshots = Array.isArray(listed) ? listed : listed.snapshots;
      if (!snapshots.some((s) => s.id === snapshotId)) throw new Error(`${snapshotId} missing from the list`);
    });
    await step('snapshots restore --finalize', () =>
      neonctl(target, [
        'snapshots',
        'restore',
        snapshotId,
        '--target-branch',
        'main',
        '--finalize',
        '--project-id',
        id,
      ]),
    );
    await step('operations list', async () => {
      const operations = await neonctl<{ action: string }[] | { operations: { action: string }[] }>(target, [
        'operations',
        'list',
        '--project-id',
        id,
      ]);
      const list = Array.isArray(operations) ? operations : operations.operations;
      if (!list.some((op) => op.action === 'timeline_unarchive')) {
        throw new Error(`no timeline_unarchive among ${list.map((op) => op.action).join(', ')}`);
      }
    });
    await step('same connection string, v1 data', async () => {
      const again = await connectionString(target, id, 'main');
      if (again !== uri) throw new Error(`the connection string changed: ${again}`);
      // The compute may still be moving onto the restored branch: retry the first connection.
      for (let attempt = 0; ; attempt++) {
        try {
          const rows = await sql<{ id: number }>(uri, 'SELECT id FROM contacts ORDER BY id');
          if (rows.map((r) => r.id).join() !== '1')
            throw new Error(`rows after restore: ${JSON.stringify(rows)}`);
          return;
        } catch (error) {
          if (attempt >= 10 || String(error).includes('rows after restore')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
    });
    await step('snapshots delete', () =>
      neonctl(target, ['snapshots', 'delete', snapshotId, '--project-id', id]),
    );
    await step('branches delete', () => neonctl(target, ['branches', 'delete', 'dev', '--project-id', id]));
  } finally {
    if (projectId) {
      const id = projectId;
      await step('projects delete', () => neonctl(target, ['projects', 'delete', id])).catch(() => undefined);
    }
  }
  return results;
}
