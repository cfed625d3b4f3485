import { Hono } from 'hono';
import type { FaultInjector, Faults } from '../engine/faults';
import { ID_PATTERN } from '../engine/ids';
import { NeonError } from '../engine/neon-error';
import type { RateLimiter } from '../engine/rate-limiter';
import { sleepOn } from '../engine/runtime';
import { type SeedInput, seedProjects } from '../engine/seed';
import type { World } from '../engine/world';
import { branchRoutes } from './branches';
import { databaseRoutes } from './databases';
import { operationRoutes } from './operations';
import { projectRoutes } from './projects';
import { snapshotRoutes } from './snapshots';
import { sqlOverHttpRoutes } from './sql-over-http';

// Path segments followed by an id; the spec's pattern applies to each id.
const ID_SEGMENTS = new Set(['projects', 'branches', 'snapshots', 'endpoints']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Env = { Variables: { requestId: string } };

/** The emulated Neon API at `/api/v2`, plus the control routes at `/_emulator`. */
export function createApp(world: World, faults: FaultInjector, limiter: RateLimiter | undefined) {
  const app = new Hono<Env>();

  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? world.id('request');
    if (error instanceof NeonError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json({ code: error.code, message: error.message, request_id: requestId }, error.status as 400);
    }
    console.error('[neon-emulator] internal error', error);
    return c.json({ code: '', message: 'internal server error', request_id: requestId }, 500);
  });
  app.notFound((c) =>
    c.json(
      {
        code: '',
        message: `no route for ${c.req.method} ${c.req.path}`,
        request_id: c.get('requestId') ?? '',
      },
      404,
    ),
  );

  app.get('/_emulator/health', (c) => c.json({ ok: true }));
  // What a simulation reads back: API requests served and 429s answered, per wall-clock minute.
  const stats = {
    requests: 0,
    rateLimited: 0,
    perMinute: {} as Record<string, { requests: number; rateLimited: number }>,
  };
  const count = (limited: boolean) => {
    const minute = String(Math.floor(world.now() / 60_000));
    const bucket = stats.perMinute[minute] ?? { requests: 0, rateLimited: 0 };
    stats.perMinute[minute] = bucket;
    stats.requests++;
    bucket.requests++;
    if (limited) {
      stats.rateLimited++;
      bucket.rateLimited++;
    }
  };
  app.get('/_emulator/stats', (c) => c.json(stats));
  app.post('/_emulator/seed', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Partial<SeedInput>;
    const projects = await seedProjects(world, {
      projects: Number(body.projects),
      snapshotsPerProject: Number(body.snapshotsPerProject ?? 0),
    });
    return c.json({ projects });
  });
  // Neon's serverless driver's SQL over HTTP (outside /api/v2, as on Neon's own endpoints).
  app.route('/', sqlOverHttpRoutes(world));
  app.get('/_emulator/faults', (c) => c.json(faults.current));
  app.put('/_emulator/faults', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as Partial<Faults> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new NeonError(400, 'body must be a JSON object of fault rules');
    }
    faults.set(body);
    return c.json(faults.current);
  });
  app.delete('/_emulator/faults', (c) => {
    faults.reset();
    return c.json(faults.current);
  });

  const api = new Hono<Env>();
  api.use(async (c, next) => {
    const requestId = c.req.header('x-request-id') || world.id('request');
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);

    const { latencyMs } = faults.current;
    if (latencyMs > 0) await sleepOn(world.runtime, latencyMs);

    const auth = c.req.header('authorization') ?? '';
    const key = auth.match(/^Bearer\s+(\S+)/i)?.[1];
    if (!key) throw new NeonError(401, 'authentication required');
    const { apiKeys } = world.options;
    if (apiKeys && !apiKeys.includes(key)) throw new NeonError(401, 'authentication required');

    const route = routeKey(c.req.method, c.req.path);
    const waitSeconds = limiter?.take(route, world.now()) ?? 0;
    count(waitSeconds > 0);
    if (waitSeconds > 0) {
      throw new NeonError(429, 'rate limit exceeded', '', { 'retry-after': String(waitSeconds) });
    }
    const fault = faults.takeHttp(c.req.method, c.req.path);
    if (fault) {
      const headers: Record<string, string> = fault.retryAfter
        ? { 'retry-after': String(fault.retryAfter) }
        : {};
      throw new NeonError(fault.status, faultMessage(fault.status), '', headers);
    }
    validateIds(c.req.path);
    await next();
  });
  api.route('/', projectRoutes(world));
  api.route('/', branchRoutes(world));
  api.route('/', databaseRoutes(world));
  api.route('/', snapshotRoutes(world));
  api.route('/', operationRoutes(world));
  app.route('/api/v2', api);
  return app;
}

function validateIds(path: string) {
  const segments = path.split('/').filter(Boolean);
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    const id = decodeURIComponent(segments[i + 1] as string);
    if (ID_SEGMENTS.has(segment) && !ID_PATTERN.test(id)) {
      throw new NeonError(
        400,
        `invalid ${segment.replace(/s$/, '')} id "${id.slice(0, 80)}": must match ${ID_PATTERN.source}`,
      );
    }
    if (segment === 'operations' && !UUID.test(id)) {
      throw new NeonError(400, `invalid operation id "${id.slice(0, 80)}": must be a UUID`);
    }
  }
}

/** Rate-limit bucket per route shape, not per concrete id (Neon: 40 rps per route). */
function routeKey(method: string, path: string): string {
  const segments = path.split('/').filter(Boolean);
  const shape = segments.map((segment, i) =>
    i > 0 && (ID_SEGMENTS.has(segments[i - 1] as string) || segments[i - 1] === 'operations')
      ? ':id'
      : segment,
  );
  return `${method} /${shape.join('/')}`;
}

function faultMessage(status: number): string {
  switch (status) {
    case 423:
      return 'project already has running conflicting operations, scheduling of new ones is prohibited';
    case 429:
      return 'rate limit exceeded';
    case 503:
      return 'service temporarily unavailable';
    case 422:
      return 'branch not ready yet';
    case 404:
      return 'not found';
    default:
      return 'internal server error';
  }
}
