import { Hono } from 'hono';
import { type HttpQueryBody, postgresError } from '../data/http-query';
import type { World } from '../engine/world';

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
    const body = (await c.req.json().catch(() => null)) as HttpQueryBody | null;
    if (!body || typeof body !== 'object') return c.json({ message: 'body must be a JSON query' }, 400);
    await world.wakeEndpoint(target.endpoint);
    try {
      const answer = await world.data.sqlOverHttp(target.endpoint.branch_id, body);
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
