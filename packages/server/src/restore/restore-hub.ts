import { isTerminalRestoreEvent, type RestoreEvent } from '@rewind/protocol';
import type { RewindStore } from '../stores/store';
import type { Runtime } from '../types';

interface Local {
  events: RestoreEvent[];
  wake: Set<() => void>;
  /** The job here has ended: what comes after its last event (if any) is another instance's. */
  ended: boolean;
}

/**
 * Restore progress fan-out, and nothing else: it never decides anything. Events are committed
 * to the store with the transition that made them (restore-machine.ts), then published here so
 * followers on the same instance wake at once; followers elsewhere (or after a restart) read the
 * store's log. One Neon poll loop per restore, whatever the number of watchers.
 */
export class RestoreHub {
  readonly #local = new Map<string, Local>();
  readonly #checks = new Map<string, Promise<void>>();

  constructor(
    private readonly store: RewindStore,
    private readonly runtime: Pick<Runtime, 'clock' | 'timer'>,
    /** How often a follower without a local restore re-reads the store (ms). */
    private readonly storePollMs = 500,
  ) {}

  begin(restoreId: string): void {
    if (!this.#local.has(restoreId))
      this.#local.set(restoreId, { events: [], wake: new Set(), ended: false });
  }

  /** Called after the events were committed: a follower never sees an event the store could lose. */
  publish(restoreId: string, events: RestoreEvent[]): void {
    const local = this.#local.get(restoreId);
    if (!local || events.length === 0) return;
    for (const event of events) if (!local.events.some((e) => e.id === event.id)) local.events.push(event);
    for (const wake of local.wake) wake();
  }

  end(restoreId: string): void {
    const local = this.#local.get(restoreId);
    if (local) {
      local.ended = true;
      for (const wake of local.wake) wake();
    }
    // Keep the events a little longer for followers that are still catching up.
    this.runtime.timer(60_000, () => this.#local.delete(restoreId));
  }

  isLocal(restoreId: string): boolean {
    return this.#local.has(restoreId);
  }

  /** Run `check` for a restore unless one is already running here: its followers share it. */
  checkOnce(restoreId: string, check: () => Promise<void>): Promise<void> {
    const running = this.#checks.get(restoreId);
    if (running) return running;
    const next = check().finally(() => this.#checks.delete(restoreId));
    this.#checks.set(restoreId, next);
    return next;
  }

  /**
   * Events after `afterId` until the terminal one, or until `signal` aborts. A resume point at or
   * past the end of a finished restore answers its terminal event at once (a client that saved
   * the last id but never handled the end must still hear it). After `idleMs` without an event,
   * `onIdle` runs: the caller checks there that the restore still has a live owner.
   */
  async *follow(
    projectId: string,
    restoreId: string,
    afterId: number,
    signal: AbortSignal,
    watchdog?: { idleMs: number; onIdle: () => Promise<void> },
  ): AsyncGenerator<RestoreEvent> {
    let last = afterId;
    const ended = async (): Promise<RestoreEvent | null> => {
      const record = await this.store.getRestore(projectId, restoreId);
      if (!record || record.status === 'running') return null;
      if (last < record.lastEventId) return null;
      const [terminal] = await this.store.readEvents(projectId, restoreId, record.lastEventId - 1);
      return terminal && isTerminalRestoreEvent(terminal) ? terminal : null;
    };
    const atEnd = await ended();
    if (atEnd) {
      yield atEnd;
      return;
    }
    let quietSince = this.runtime.clock();
    while (!signal.aborted) {
      const local = this.#local.get(restoreId);
      const fresh = local ? local.events.filter((event) => event.id > last) : [];
      // A job that ended here without its terminal event (it stopped with the outcome open)
      // leaves the rest to recovery, perhaps on another instance: from then on, the store's log.
      const live = local !== undefined && !local.ended;
      const next = fresh.length > 0 || live ? fresh : await this.store.readEvents(projectId, restoreId, last);
      for (const event of next) {
        last = event.id;
        quietSince = this.runtime.clock();
        yield event;
        if (isTerminalRestoreEvent(event)) return;
      }
      // Events published while we were yielding: read them before sleeping, or their wake-up
      // (sent while nobody listened) would be lost.
      if (next.length > 0) continue;
      if (watchdog && this.runtime.clock() - quietSince >= watchdog.idleMs) {
        await watchdog.onIdle().catch(() => undefined);
        // The log may have ended below the client's resume point (an id it never saw).
        const terminal = await ended().catch(() => null);
        if (terminal && terminal.id <= last) {
          yield terminal;
          return;
        }
        quietSince = this.runtime.clock();
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          cancel();
          local?.wake.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const cancel = this.runtime.timer(live ? (watchdog?.idleMs ?? 30_000) : this.storePollMs, done);
        local?.wake.add(done);
        signal.addEventListener('abort', done);
        if (local?.events.some((event) => event.id > last)) done();
      });
    }
  }
}
