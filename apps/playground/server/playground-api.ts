// The playground's backend: the Rewind handler on Node, the demo app's own API (live data
// read over the branch endpoint's Postgres connection, scripted agent prompts, free SQL), and
// a "what Neon sees" view. The embedded emulator is the default; NEON_API_KEY switches to Neon.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator, type NeonEmulator } from '@rewind/neon-emulator';
import { RewindError, type Version } from '@rewind/protocol';
import { createRewind, sqlStore } from '@rewind/server';
import { Hono } from 'hono';
import pg from 'pg';
import { PROMPTS } from './prompts.ts';
import { createScriptedAgent } from './scripted-agent.ts';

export interface PlaygroundOptions {
  /** Keep emulator data and version metadata here; in memory when omitted. */
  dataDir?: string | undefined;
  /** Emulator operation duration (ms); realistic by default. */
  operationDurationMs?: number | undefined;
  /** Real Neon instead of the emulator. */
  neon?: { apiKey: string; projectId: string; baseURL?: string } | undefined;
}

export interface PlaygroundApi {
  fetch: (request: Request) => Response | Promise<Response>;
  projectId: string;
  /** The live database's connection string (server-side only). */
  connectionString: () => Promise<string>;
  emulator: NeonEmulator | undefined;
  close: () => Promise<void>;
}

const SECRET = 'playground-secret-not-for-production-0123456789';

export async function createPlaygroundApi(options: PlaygroundOptions = {}): Promise<PlaygroundApi> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const emulator = options.neon
    ? undefined
    : await createNeonEmulator({
        ...(options.dataDir ? { dataDir: join(options.dataDir, 'neon') } : {}),
        ...(options.operationDurationMs !== undefined
          ? { operationDurationMs: options.operationDurationMs }
          : {}),
        // The demo clicks fast; Neon's real limits would only get in the way here.
        rateLimits: false,
        // PGlite's loads and dumps in worker threads: the playground's own server (the Rewind
        // handler and its SSE) stays responsive while the emulator snapshots and restores.
        databaseThreads: true,
      });
  const neonOptions = options.neon
    ? { apiKey: options.neon.apiKey, ...(options.neon.baseURL ? { baseURL: options.neon.baseURL } : {}) }
    : { apiKey: 'emulator', baseURL: emulator?.baseURL as string, fetch: emulator?.fetch as typeof fetch };
  const neon = createApiClient({
    apiKey: neonOptions.apiKey,
    ...(neonOptions.baseURL ? { baseURL: neonOptions.baseURL } : {}),
    adapter: 'fetch',
    ...(neonOptions.fetch ? { env: { fetch: neonOptions.fetch } } : {}),
  });

  const projectId = options.neon?.projectId ?? (await ensureEmulatorProject(neon, emulator as NeonEmulator));
  const metadata = new PGlite(options.dataDir ? join(options.dataDir, 'metadata') : undefined);
  const store = sqlStore((text, params) => metadata.query(text, params));
  await store.migrate();

  const rewind = createRewind({
    neon: neonOptions,
    store,
    secret: SECRET,
    // The playground has one user and one project; a platform would check its session here.
    resolveProject: () => ({ projectId }),
    poll: { sparseMs: 500, denseMs: 100 },
  });

  const connectionString = async () => {
    const { data } = await neon.getConnectionUri({
      projectId,
      database_name: 'neondb',
      role_name: 'neondb_owner',
    });
    return data.uri;
  };
  // One short-lived client per call: a finalized restore drops open connections, as on Neon.
  const withClient = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: await connectionString() });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  // Applies SQL and snapshots it as one step, holding the project throughout (no restore can
  // replace the branch under the change): a failed statement leaves nothing behind.
  const applyAndVersion = async (sql: string, label: string, prompt: string): Promise<Version> => {
    const { version } = await rewind.api.withVersion(
      { projectId },
      async ({ connectionUri }) => {
        const client = new pg.Client({ connectionString: connectionUri });
        client.on('error', () => undefined);
        await client.connect();
        try {
          await client.query('BEGIN');
          await client.query(sql);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new RewindError('bad_request', `SQL failed: ${(error as Error).message}`);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { label, prompt },
    );
    return version;
  };

  const app = new Hono();
  app.onError((error, c) => {
    const rewindError = RewindError.is(error) ? error : new RewindError('internal', (error as Error).message);
    return c.json(rewindError.toJSON(), rewindError.status as 400);
  });
  app.route('/api/rewind', rewind);

  app.get('/api/app/contacts', async (c) =>
    c.json(
      await withClient(async (client) => {
        const exists = await client.query(`SELECT to_regclass('public.contacts') IS NOT NULL AS present`);
        if (!exists.rows[0]?.present) return { columns: [], rows: [] };
        const result = await client.query('SELECT * FROM contacts ORDER BY id');
        return { columns: result.fields.map((f) => f.name), rows: result.rows };
      }),
    ),
  );

  // The scripted agent: it runs the prompts through Rewind's tools and asks before restoring.
  const agent = createScriptedAgent(
    rewind.api,
    projectId,
    () =>
      withClient(async (client) => {
        const found = await client.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'contacts' AND column_name = 'email'`,
        );
        return found.rowCount ? null : 'column "email" does not exist';
      }),
    applyAndVersion,
  );
  app.post('/api/app/agent/runs', async (c) => c.json(await agent.start(), 201));
  app.post('/api/app/agent/runs/:id/approval', async (c) => {
    const body = (await c.req.json().catch(() => null)) as {
      approvalId?: unknown;
      approved?: unknown;
    } | null;
    if (typeof body?.approvalId !== 'string' || typeof body.approved !== 'boolean')
      throw new RewindError('bad_request', 'Send { approvalId, approved }');
    return c.json(await agent.answer(c.req.param('id'), body.approvalId, body.approved));
  });

  app.get('/api/app/prompts', (c) =>
    c.json({ prompts: PROMPTS.map(({ id, label, prompt }) => ({ id, label, prompt })) }),
  );

  app.post('/api/app/prompts/:id', async (c) => {
    const step = PROMPTS.find((p) => p.id === c.req.param('id'));
    if (!step) throw new RewindError('not_found', 'No such prompt');
    return c.json({ version: await applyAndVersion(step.sql, step.label, step.prompt) }, 201);
  });

  app.post('/api/app/sql', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { sql?: unknown } | null;
    const sql = typeof body?.sql === 'string' ? body.sql.trim() : '';
    if (sql === '' || sql.length > 10_000)
      throw new RewindError('bad_request', 'Write one or more SQL statements');
    const label = sql.length > 60 ? `${sql.slice(0, 57)}…` : sql;
    return c.json({ version: await applyAndVersion(sql, `SQL: ${label}`, sql) }, 201);
  });

  // What Neon sees, for the mechanism panel. Branch ids and operations only: no connection strings.
  app.get('/api/app/neon', async (c) => {
    const [branches, operations] = await Promise.all([
      neon.listProjectBranches({ projectId }),
      neon.listProjectOperations({ projectId, limit: 12 }),
    ]);
    return c.json({
      branches: branches.data.branches.map((b) => ({
        id: b.id,
        name: b.name,
        default: b.default,
        restoreStatus: b.restore_status ?? null,
        state: b.current_state,
      })),
      operations: operations.data.operations.map((op) => ({
        id: op.id,
        action: op.action,
        status: op.status,
        branchId: op.branch_id ?? null,
        updatedAt: op.updated_at,
      })),
    });
  });

  return {
    fetch: app.fetch,
    projectId,
    connectionString,
    emulator,
    close: async () => {
      if (!metadata.closed) await metadata.close();
      await emulator?.close();
    },
  };
}

async function ensureEmulatorProject(
  neon: ReturnType<typeof createApiClient>,
  emulator: NeonEmulator,
): Promise<string> {
  const { data } = await neon.listProjects({ search: 'rewind-playground' });
  const existing = data.projects.find((p) => p.name === 'rewind-playground');
  if (existing) return existing.id;
  const created = await neon.createProject({ project: { name: 'rewind-playground' } });
  await emulator.settled(created.data.project.id);
  return created.data.project.id;
}
