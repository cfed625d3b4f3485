import { sValidator } from '@hono/standard-validator';
import { RewindError } from '@rewind/protocol';
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { type Core, inProgress, newId, type RewindEnv, sweep } from '../core';
import { type RestorePlan, runRestore } from '../restore/restore-job';
import { signRestoreToken, verifyRestoreToken } from '../restore/restore-token';
import type { LockHolder, StoredPreview, StoredVersion } from '../stores/store';
import { restoreStream, settleIfAbandoned } from './sse';
import { failValidation } from './validation';

const RestoreBody = v.optional(v.strictObject({ undoable: v.optional(v.boolean()) }), {});
const LastEventId = v.pipe(v.string(), v.regex(/^\d{1,9}$/, 'Last-Event-ID must be a non-negative integer'));

/**
 * Start a restore (or undo, or preview promotion) and answer with its SSE stream. Exactly one
 * restore per project runs: the store's lock decides, across instances.
 */
export async function startRestore(
  c: Context<RewindEnv>,
  core: Core,
  version: StoredVersion,
  options: { undoable: boolean; preview?: StoredPreview },
) {
  const target = c.get('target');
  const restoreId = newId();
  const token = await signRestoreToken(
    {
      projectId: target.projectId,
      restoreId,
      versionId: version.id,
      exp: Date.now() + (core.options.tokenTtlMs ?? 3_600_000),
    },
    core.options.secret,
  );
  const holder: LockHolder = {
    id: restoreId,
    kind: 'restore',
    versionId: version.id,
    token,
    startedAt: new Date().toISOString(),
  };
  // A short lease the running job renews: if this instance dies, the project frees up quickly.
  const ttl = core.job.leaseMs;
  const deadline = Date.now() + (core.options.lockWaitMs ?? 15_000);
  for (;;) {
    const result = await core.store.acquireLock(target.projectId, holder, ttl);
    if (result.acquired) break;
    // Behind a short mutation: wait for it; behind a restore: attach to that one instead.
    if (result.holder.kind === 'restore' || Date.now() > deadline) throw inProgress(result.holder);
    await core.sleep(100);
  }

  const plan: RestorePlan = {
    restoreId,
    token,
    lockHolderId: restoreId,
    version,
    undoable: options.undoable,
    preview: options.preview,
  };
  core.hub.begin(restoreId);
  const job = sweep(core, target)
    .catch(() => undefined)
    .then(() => runRestore(core.job, target, plan));
  keepAlive(core, c, job);
  c.header('Rewind-Restore-Token', token);
  return restoreStream(c, core, target, restoreId, 0);
}

function keepAlive(core: Core, c: Context, job: Promise<unknown>) {
  if (core.options.waitUntil) return core.options.waitUntil(job, c);
  try {
    // Cloudflare Workers and Vercel's edge hand Hono an execution context.
    c.executionCtx.waitUntil(job);
  } catch {
    // Node, Deno, Bun: the process keeps running the promise.
  }
}

export function restoreRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  app.post('/versions/:id/restore', sValidator('json', RestoreBody, failValidation), async (c) => {
    const { projectId } = c.get('target');
    const version = await core.store.getVersion(projectId, c.req.param('id'));
    if (!version) throw new RewindError('not_found', 'No such version');
    return startRestore(c, core, version, { undoable: c.req.valid('json')?.undoable ?? true });
  });

  app.post('/undo', async (c) => {
    const { projectId } = c.get('target');
    const state = await core.store.getProjectState(projectId);
    const version = state.undoVersionId ? await core.store.getVersion(projectId, state.undoVersionId) : null;
    if (!version) throw new RewindError('not_found', 'There is no restore to undo');
    // An undo is itself undoable: it snapshots the live branch like any restore.
    return startRestore(c, core, version, { undoable: true });
  });

  app.get('/restores/:token/events', async (c) => {
    const target = c.get('target');
    const { projectId } = target;
    const claims = await verifyRestoreToken(c.req.param('token'), core.options.secret, projectId);
    const header = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    let afterId = 0;
    if (header !== undefined) {
      const parsed = v.safeParse(LastEventId, header);
      if (!parsed.success)
        throw new RewindError('bad_request', 'Last-Event-ID must be a non-negative integer');
      afterId = Number(parsed.output);
    }
    const known = async () =>
      core.hub.isLocal(claims.restoreId) ||
      (await core.store.readEvents(projectId, claims.restoreId, -1)).length > 0 ||
      (await core.store.getLock(projectId))?.id === claims.restoreId;
    if (!(await known())) {
      // A token we signed for a restore with no trace: it died before its first write. Say so
      // now rather than after a lease of silence.
      await settleIfAbandoned(core, target, claims.restoreId).catch(() => undefined);
      if (!(await known())) throw new RewindError('not_found', 'No such restore');
    }
    return restoreStream(c, core, target, claims.restoreId, afterId);
  });

  return app;
}
