import { encodeRestoreEvent, RESTORE_EVENT, type RestoreEvent } from '@rewind/protocol';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import type { Runtime } from '../types';

/**
 * Stream restore events as `text/event-stream`. Closing the stream only stops this follower:
 * the restore goes on.
 */
export function sseResponse(
  c: Context,
  heartbeat: { everyMs: number; timer: Runtime['timer'] },
  afterId: number,
  events: (signal: AbortSignal) => AsyncIterable<RestoreEvent>,
) {
  c.header('Content-Type', 'text/event-stream; charset=utf-8');
  c.header('Cache-Control', 'no-cache, no-transform');
  c.header('X-Accel-Buffering', 'no');
  c.header('Connection', 'keep-alive');
  return stream(c, async (out) => {
    const abort = new AbortController();
    out.onAbort(() => abort.abort());
    let last = afterId;
    // Heartbeats carry the last id, so a reconnect resumes after real events only.
    let cancel = () => {};
    const beat = () => {
      cancel = heartbeat.timer(heartbeat.everyMs, () => {
        beat();
        void out
          .write(encodeRestoreEvent({ event: RESTORE_EVENT.heartbeat, id: last, data: {} }))
          .catch(() => abort.abort());
      });
    };
    beat();
    try {
      await out.write(': rewind restore stream\n\n');
      for await (const event of events(abort.signal)) {
        last = event.id;
        await out.write(encodeRestoreEvent(event));
      }
    } catch {
      // The store or the client went away: ending the stream is enough, the client resumes with
      // Last-Event-ID (here or on another instance) and the restore goes on regardless.
    } finally {
      abort.abort();
      cancel();
    }
  });
}
