import { RewindError } from '@rewind/protocol';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { type Core, createCore, type RewindEnv } from './core';
import type { ResolvedProject, RewindOptions } from './options';
import type { ProjectTarget } from './project-target';
import { jsonGuard } from './routes/json-guard';
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
      maxSize: options.maxBodyBytes ?? 64 * 1024,
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
  return app;
}

/**
 * The platform's auth decides the tenant. One live-branch name per project: Neon serializes,
 * limits and counts snapshots per project, and Rewind keys versions and locks by project, so
 * a second tenant on another branch of the same project is refused, never mixed in.
 */
async function resolveTarget(core: Core, c: Context): Promise<ProjectTarget> {
  let resolved: ResolvedProject | null;
  try {
    resolved = await core.options.resolveProject(c);
  } catch (error) {
    if (RewindError.is(error)) throw error;
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  if (!resolved || typeof resolved.projectId !== 'string' || resolved.projectId === '') {
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  const branchName = resolved.branchName ?? 'main';
  let claimed = core.claimedBranches.get(resolved.projectId);
  if (claimed === undefined) {
    claimed = await core.store.claimBranchName(resolved.projectId, branchName);
    core.claimedBranches.set(resolved.projectId, claimed);
  }
  if (claimed !== branchName) {
    throw new RewindError(
      'conflict',
      `Project ${resolved.projectId} is versioned on branch "${claimed}"; one live branch per project (use one project per tenant)`,
      { details: { branchName, versionedBranch: claimed } },
    );
  }
  return {
    projectId: resolved.projectId,
    branchName,
    databaseName: resolved.databaseName ?? 'neondb',
    roleName: resolved.roleName ?? 'neondb_owner',
    actor: resolved.actor ?? null,
  };
}
