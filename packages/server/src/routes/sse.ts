import { encodeRestoreEvent, RESTORE_EVENT } from '@rewind/protocol';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import type { Core } from '../core';

/**
 * Stream a restore's events as `text/event-stream`, from after `afterId` to the terminal event.
 * Closing the stream only stops this follower: the restore goes on.
 */
export function restoreStream(c: Context, core: Core, projectId: string, restoreId: string, afterId: number) {
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
      for await (const event of core.hub.follow(projectId, restoreId, afterId, abort.signal)) {
        last = event.id;
        await out.write(encodeRestoreEvent(event));
      }
    } finally {
      clearInterval(heartbeat);
      abort.abort();
    }
  });
}
