import { sValidator } from '@hono/standard-validator';
import { RewindError } from '@rewind/protocol';
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import type { Core, RewindEnv } from '../core';
import { failValidation, RestoreInput } from '../inputs';
import {
  followRestore,
  restoreOfToken,
  type StartedRestore,
  startRestore,
  undoRestore,
} from '../service/restores';
import { versionOrThrow } from '../service/versions';
import { sseResponse } from './sse';

const LastEventId = v.pipe(v.string(), v.regex(/^\d{1,9}$/, 'Last-Event-ID must be a non-negative integer'));

/** Hand a restore job to the runtime so it outlives the response (edge `waitUntil`). */
export function keepAlive(core: Core, c: Context) {
  return (job: Promise<void>) => {
    if (core.options.waitUntil) return core.options.waitUntil(job, c);
    try {
      // Cloudflare Workers and Vercel's edge hand Hono an execution context.
      c.executionCtx.waitUntil(job);
    } catch {
      // Node, Deno, Bun: the process keeps running the promise.
    }
  };
}

const heartbeat = (core: Core) => ({ everyMs: core.settings.heartbeatMs, timer: core.runtime.timer });

/** Answer a started restore with its event stream and its token. */
export function streamStarted(c: Context<RewindEnv>, core: Core, started: StartedRestore) {
  c.header('Rewind-Restore-Token', started.token);
  const target = c.get('target');
  return sseResponse(c, heartbeat(core), 0, (signal) => followRestore(core, target, started, 0, signal));
}

export function restoreRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  app.post('/versions/:id/restore', sValidator('json', RestoreInput, failValidation), async (c) => {
    const target = c.get('target');
    const version = await versionOrThrow(core, target.projectId, c.req.param('id'));
    const undoable = c.req.valid('json')?.undoable ?? true;
    const started = await startRestore(
      core,
      target,
      version,
      { kind: 'restore', undoable },
      keepAlive(core, c),
    );
    return streamStarted(c, core, started);
  });

  app.post('/undo', async (c) => {
    return streamStarted(c, core, await undoRestore(core, c.get('target'), keepAlive(core, c)));
  });

  app.get('/restores/:token/events', async (c) => {
    const target = c.get('target');
    const header = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    let afterId = 0;
    if (header !== undefined) {
      const parsed = v.safeParse(LastEventId, header);
      if (!parsed.success)
        throw new RewindError('bad_request', 'Last-Event-ID must be a non-negative integer');
      afterId = Number(parsed.output);
    }
    const restore = await restoreOfToken(core, target, c.req.param('token'));
    return sseResponse(c, heartbeat(core), afterId, (signal) =>
      followRestore(core, target, restore, afterId, signal),
    );
  });

  return app;
}
