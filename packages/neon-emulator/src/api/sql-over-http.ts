import type { PGlite, Transaction } from '@electric-sql/pglite';
import { Hono } from 'hono';
import type { World } from '../engine/world';

interface HttpQuery {
  query: string;
  params?: (string | null)[];
}

/**
 * SQL over HTTP as `@neondatabase/serverless` speaks it (its `neon()` function): `POST /sql` with
 * the `Neon-Connection-String` header naming an endpoint, a body `{query, params}` (or
 * `{queries: […]}`, one transaction), and an answer of raw text values in array mode
 * (`Neon-Raw-Text-Output`, `Neon-Array-Mode`) that the driver parses by each field's type; a
 * Postgres error is a 400 with the error's fields. Neon documents pointing the driver here for
 * local development (`neonConfig.fetchEndpoint`), as its local HTTP proxy image does.
 */
export function sqlOverHttpRoutes(world: World) {
  const app = new Hono();

  app.post('/sql', async (c) => {
    const target = resolve(world, c.req.header('neon-connection-string'));
    if ('error' in target) return c.json({ message: target.error }, target.status as 400);
    const body = (await c.req.json().catch(() => null)) as HttpQuery | { queries: HttpQuery[] } | null;
    if (!body || typeof body !== 'object') return c.json({ message: 'body must be a JSON query' }, 400);
    await world.wakeEndpoint(target.endpoint);
    try {
      const answer = await world.data.withDatabase(target.endpoint.branch_id, async (db) => {
        if ('queries' in body) {
          return {
            results: await db.transaction(async (tx) => {
              const results = [];
              for (const query of body.queries) results.push(await run(db, tx, query));
              return results;
            }),
          };
        }
        return run(db, db, body);
      });
      return c.json(answer);
    } catch (error) {
      return c.json(postgresError(error), 400);
    }
  });

  return app;
}

function resolve(world: World, connectionString: string | undefined) {
  if (!connectionString) return { status: 400, error: 'Neon-Connection-String header is required' };
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { status: 400, error: 'Neon-Connection-String is not a URL' };
  }
  const endpoint = world.endpointAt(url.hostname, Number(url.port || 5432));
  if (!endpoint) return { status: 404, error: `no endpoint at ${url.hostname}` };
  const project = world.project(endpoint.project_id);
  if (
    decodeURIComponent(url.username) !== project.role_name ||
    decodeURIComponent(url.password) !== project.role_password
  ) {
    return {
      status: 400,
      error: `password authentication failed for user "${decodeURIComponent(url.username)}"`,
    };
  }
  return { endpoint };
}

// Values cross as Postgres's own text both ways: parameters as the driver prepared them, results
// unparsed, so the driver's type parsers see exactly what Neon would send.
async function run(db: PGlite, on: PGlite | Transaction, { query, params = [] }: HttpQuery) {
  const described = await db.describeQuery(query);
  const text = (value: string) => value;
  const parsers = Object.fromEntries(described.resultFields.map((f) => [f.dataTypeID, text]));
  const serializers = Object.fromEntries(described.queryParams.map((p) => [p.dataTypeID, text]));
  const result = await on.query<unknown[]>(query, params, {
    rowMode: 'array',
    parsers,
    serializers,
  } as never);
  const command = /^\s*(?:WITH\b[\s\S]*?\)\s*)?(\w+)/i.exec(query)?.[1]?.toUpperCase() ?? '';
  return {
    command: command === 'WITH' ? 'SELECT' : command,
    rowCount: result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0),
    rows: result.rows,
    fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    rowAsArray: true,
  };
}

const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'constraint',
  'routine',
];

function postgresError(error: unknown): Record<string, unknown> {
  const source = (error ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { message: error instanceof Error ? error.message : String(error) };
  for (const field of ERROR_FIELDS) if (source[field] !== undefined) out[field] = source[field];
  return out;
}
