import { RewindError } from '@rewind/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { createCore, type RewindEnv, resolveTarget } from './core';
import type { RewindOptions } from './options';
import { previewRoutes } from './routes/previews';
import { restoreRoutes } from './routes/restores';
import { versionRoutes } from './routes/versions';

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
export function createRewind(options: RewindOptions): Hono<RewindEnv> {
  const core = createCore(options);
  const app = new Hono<RewindEnv>();

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
    return c.json(rewindError.toJSON(), rewindError.status as 400);
  });
  app.notFound((c) => {
    const error = new RewindError('not_found', `No route for ${c.req.method} ${c.req.path}`);
    return c.json(error.toJSON(), 404);
  });

  app.use(
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 64 * 1024,
      onError: () => {
        throw new RewindError('payload_too_large', 'Request body is too large');
      },
    }),
  );
  app.use(async (c, next) => {
    c.set('target', await resolveTarget(core, c));
    await next();
  });
  app.route('/', versionRoutes(core));
  app.route('/', restoreRoutes(core));
  app.route('/', previewRoutes(core));
  return app;
}
