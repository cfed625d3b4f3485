import { RewindError } from '@rewind/protocol';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { apiOnCore, type RewindApi } from './api';
import { type Core, createCore, type RewindEnv } from './core';
import type { ResolvedProject, RewindOptions } from './options';
import { claimTarget } from './project-target';
import { jsonGuard } from './routes/json-guard';
import { previewRoutes } from './routes/previews';
import { restoreRoutes } from './routes/restores';
import { versionRoutes } from './routes/versions';
import type { ProjectTarget } from './types';

/**
 * Build Rewind's handler: a Hono app to mount under any path, or to call as `app.fetch(request)`.
 *
 * @example
 * const rewind = createRewind({
 *   neon: { apiKey: env.NEON_API_KEY },
 *   store: memoryStore(),
 *   secret: env.REWIND_SECRET,
 *   resolveProject: async (c) => ({ projectId: await projectOf(c) }),
 * });
 * app.route('/api/rewind', rewind);
 */
export function createRewind(options: RewindOptions): Hono<RewindEnv> & { api: RewindApi } {
  if (typeof options.resolveProject !== 'function') {
    throw new RewindError('internal', 'createRewind: `resolveProject` must be a function');
  }
  const basePath = options.basePath ?? '';
  if (basePath !== '' && !/^\/[\w\-./]*[\w-]$/.test(basePath)) {
    throw new RewindError(
      'internal',
      'createRewind: `basePath` must start with "/" and not end with one, e.g. "/api/rewind"',
    );
  }
  const core = createCore(options);
  // Under a framework's catch-all route (Next.js `app/api/rewind/[...path]/route.ts`), the
  // request keeps its full path: `basePath` roots every route there.
  const app = basePath ? new Hono<RewindEnv>().basePath(basePath) : new Hono<RewindEnv>();

  app.onError((error, c) => {
    let rewindError: RewindError;
    if (RewindError.is(error)) rewindError = error;
    else if (error instanceof HTTPException && error.status < 500) {
      rewindError = new RewindError(
        error.status === 413 ? 'payload_too_large' : 'bad_request',
        error.message || 'Bad request',
      );
    } else {
      rewindError = new RewindError('internal', 'Unexpected error in the Rewind handler');
    }
    if (rewindError.status >= 500) core.report(error, { where: `${c.req.method} ${c.req.path}` });
    const retryAfter = rewindError.details?.retryAfter;
    if (rewindError.code === 'rate_limited' && typeof retryAfter === 'number')
      c.header('Retry-After', String(retryAfter));
    return c.json(rewindError.toJSON(), rewindError.status as 400);
  });
  app.notFound((c) => {
    const error = new RewindError('not_found', `No route for ${c.req.method} ${c.req.path}`);
    return c.json(error.toJSON(), 404);
  });

  app.use(
    bodyLimit({
      maxSize: core.settings.maxBodyBytes,
      onError: () => {
        throw new RewindError('payload_too_large', 'Request body is too large');
      },
    }),
  );
  app.use(jsonGuard());
  app.use(async (c, next) => {
    c.set('target', await resolveTarget(core, c));
    await next();
  });
  app.route('/', versionRoutes(core));
  app.route('/', restoreRoutes(core));
  app.route('/', previewRoutes(core));
  // The same service without HTTP, on this handler's core (its in-process restore fan-out).
  return Object.assign(app, { api: apiOnCore(core) });
}

/** The platform's auth decides the tenant; `claimTarget` checks it as the API does. */
async function resolveTarget(core: Core, c: Context): Promise<ProjectTarget> {
  let resolved: ResolvedProject | null;
  try {
    resolved = await (core.options.resolveProject as RewindOptions['resolveProject'])(c);
  } catch (error) {
    if (RewindError.is(error)) throw error;
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  if (!resolved || typeof resolved.projectId !== 'string' || resolved.projectId === '') {
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  return claimTarget(core, resolved);
}
