import { RESTORE_EVENT, type RestoreEvent, RewindError } from '@rewind/protocol';
import type { Core } from '../core';
import { followRestore, type StartedRestore } from '../service/restores';
import type { ProjectTarget } from '../types';

/** How a restore ended, once it succeeded (a failed one rejects with its `RewindError`). */
export interface RestoreResult {
  restoreId: string;
  /** The version the live database now matches. */
  versionId: string;
  /** What Undo restores, when this restore took an undo point. */
  undoVersionId: string | null;
  /** The live branch's id after the restore (same name, same connection string). */
  branchId: string;
  /** RFC 3339. */
  finishedAt: string;
}

/**
 * A restore started by the programmatic API: await it for the outcome, or iterate it for its
 * typed progress events (the same ones the SSE stream carries, ending with the terminal one).
 * Both may be done at once, and more than once: each reads the restore's log from the start.
 *
 * @example
 * const run = rewind.restore(target, versionId);
 * for await (const event of run) console.log(event.event);
 * const { undoVersionId } = await run;
 */
export interface RestoreRun extends AsyncIterable<RestoreEvent>, PromiseLike<RestoreResult> {
  /** Resolves once the restore holds its project: its id and the token a browser can follow it with. */
  readonly started: Promise<StartedRestore>;
}

/** A run over a restore being started (`begun` rejects when it is refused). */
export function restoreRun(
  core: Core,
  begun: Promise<{ target: ProjectTarget; started: StartedRestore }>,
): RestoreRun {
  // Whoever awaits or iterates hears a refusal; a run nobody looks at must not crash the process.
  begun.catch(() => undefined);
  const start = begun.then(({ started }) => started);
  start.catch(() => undefined);
  async function* events(): AsyncGenerator<RestoreEvent> {
    const { target, started } = await begun;
    const controller = new AbortController();
    try {
      for await (const event of followRestore(core, target, started, 0, controller.signal)) {
        yield event;
        if (event.event === RESTORE_EVENT.succeeded || event.event === RESTORE_EVENT.failed) return;
      }
    } finally {
      controller.abort();
    }
  }
  let outcome: Promise<RestoreResult> | undefined;
  const result = () => {
    outcome ??= (async () => {
      const started = await start;
      for await (const event of events()) {
        if (event.event === RESTORE_EVENT.succeeded) return { restoreId: started.restoreId, ...event.data };
        if (event.event === RESTORE_EVENT.failed) throw RewindError.fromJSON(event.data);
      }
      throw new RewindError('internal', 'The restore stream ended without an outcome');
    })();
    return outcome;
  };
  return {
    started: start,
    [Symbol.asyncIterator]: () => events(),
    // biome-ignore lint/suspicious/noThenProperty: a RestoreRun is awaitable on purpose.
    then: (onFulfilled, onRejected) => result().then(onFulfilled, onRejected),
  };
}
