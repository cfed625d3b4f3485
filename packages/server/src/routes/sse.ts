import { encodeRestoreEvent, RESTORE_EVENT } from '@rewind/protocol';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { type Core, withLock } from '../core';
import { interruptedError } from '../restore/reconcile-restores';
import type { ProjectTarget } from '../restore/restore-job';

/**
 * Stream a restore's events as `text/event-stream`, from after `afterId` to the terminal event.
 * Closing the stream only stops this follower: the restore goes on.
 */
export function restoreStream(
  c: Context,
  core: Core,
  target: ProjectTarget,
  restoreId: string,
  afterId: number,
) {
  const { projectId } = target;
  c.header('Content-Type', 'text/event-stream; charset=utf-8');
  c.header('Cache-Control', 'no-cache, no-transform');
  c.header('X-Accel-Buffering', 'no');
  c.header('Connection', 'keep-alive');
  return stream(c, async (out) => {
    const abort = new AbortController();
    out.onAbort(() => abort.abort());
    let last = afterId;
    // Heartbeats carry the last id, so a reconnect resumes after real events only.
    const heartbeat = setInterval(() => {
      void out
        .write(encodeRestoreEvent({ event: RESTORE_EVENT.heartbeat, id: last, data: {} }))
        .catch(() => abort.abort());
    }, core.options.heartbeatMs ?? 3_000);
    try {
      await out.write(': rewind restore stream\n\n');
      // A follower also watches over the restore: see settleIfAbandoned.
      const watchdog = {
        idleMs: core.job.leaseMs,
        onIdle: () => core.hub.checkOnce(restoreId, () => settleIfAbandoned(core, target, restoreId)),
      };
      for await (const event of core.hub.follow(projectId, restoreId, afterId, abort.signal, watchdog)) {
        last = event.id;
        await out.write(encodeRestoreEvent(event));
      }
    } finally {
      clearInterval(heartbeat);
      abort.abort();
    }
  });
}

/**
 * A restore silent for a whole lease: if it no longer holds its project, the instance running it
 * is gone (a crash, an edge runtime's `waitUntil` running out). Taking the lock sweeps, which
 * settles its intent from what Neon shows and ends its log; a restore that died before writing
 * its intent never asked Neon for anything, and its log ends as interrupted here.
 */
export async function settleIfAbandoned(core: Core, target: ProjectTarget, restoreId: string): Promise<void> {
  const { projectId } = target;
  if ((await core.store.getLock(projectId))?.id === restoreId) return;
  await withLock(core, target, () =>
    core.hub.conclude(projectId, restoreId, async (log) => {
      const { pendingRestores } = await core.store.getProjectState(projectId);
      if (pendingRestores.some((p) => p.restoreId === restoreId)) return null; // Neon still busy: later
      // Past `finalized` the outcome was recorded (the job logs it just before that write, and
      // the intent is gone); the sweep above deleted what its cleanup left.
      const finalized = log.find((e) => e.event === RESTORE_EVENT.finalized);
      return finalized?.event === RESTORE_EVENT.finalized
        ? {
            event: RESTORE_EVENT.succeeded,
            data: { ...finalized.data, finishedAt: new Date().toISOString() },
          }
        : { event: RESTORE_EVENT.failed, data: interruptedError().toJSON() };
    }),
  );
}
