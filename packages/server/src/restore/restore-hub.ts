import { isTerminalRestoreEvent, type RestoreEvent } from '@rewind/protocol';
import type { RewindStore } from '../stores/store';

interface Local {
  events: RestoreEvent[];
  wake: Set<() => void>;
}

/**
 * Restore progress fan-out. The instance running a restore keeps its events in memory and wakes
 * its followers directly; followers on other instances (or after a restart) read the store's
 * log. Either way there is one Neon poll loop per restore, whatever the number of watchers.
 */
export class RestoreHub {
  readonly #local = new Map<string, Local>();
  readonly #checks = new Map<string, Promise<void>>();

  constructor(
    private readonly store: RewindStore,
    /** How often a follower without a local restore re-reads the store (ms). */
    private readonly storePollMs = 500,
  ) {}

  begin(restoreId: string): void {
    this.#local.set(restoreId, { events: [], wake: new Set() });
  }

  /** Persist, then publish: a follower never sees an event the store could lose. */
  async publish(projectId: string, restoreId: string, event: RestoreEvent): Promise<void> {
    await this.store.appendEvent(projectId, restoreId, event);
    const local = this.#local.get(restoreId);
    if (!local) return;
    local.events.push(event);
    for (const wake of local.wake) wake();
  }

  /**
   * End a restore's log from outside its job (it was cut short): `decide` reads the log and
   * names the final event, or null to leave the log open. Nothing happens if the log has ended.
   */
  async conclude(
    projectId: string,
    restoreId: string,
    decide: (log: RestoreEvent[]) => Promise<Omit<RestoreEvent, 'id'> | null>,
  ): Promise<void> {
    const log = await this.store.readEvents(projectId, restoreId, 0);
    if (log.some(isTerminalRestoreEvent)) return;
    const event = await decide(log);
    if (event) {
      const id = (log.at(-1)?.id ?? 0) + 1;
      await this.publish(projectId, restoreId, { ...event, id } as RestoreEvent);
    }
  }

  end(restoreId: string): void {
    // Keep the events a little longer for followers that are still catching up.
    setTimeout(() => this.#local.delete(restoreId), 60_000).unref?.();
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
   * Events after `afterId` until the terminal one, or until `signal` aborts. After `idleMs`
   * without an event, `onIdle` runs (and again after each further `idleMs`): the caller checks
   * there that the restore still has a live owner, and settles it if not.
   */
  async *follow(
    projectId: string,
    restoreId: string,
    afterId: number,
    signal: AbortSignal,
    watchdog?: { idleMs: number; onIdle: () => Promise<void> },
  ): AsyncGenerator<RestoreEvent> {
    let last = afterId;
    let quietSince = Date.now();
    while (!signal.aborted) {
      const local = this.#local.get(restoreId);
      const next = local
        ? local.events.filter((event) => event.id > last)
        : await this.store.readEvents(projectId, restoreId, last);
      for (const event of next) {
        last = event.id;
        quietSince = Date.now();
        yield event;
        if (isTerminalRestoreEvent(event)) return;
      }
      // Events published while we were yielding: read them before sleeping, or their wake-up
      // (sent while nobody listened) would be lost.
      if (next.length > 0) continue;
      if (watchdog && Date.now() - quietSince >= watchdog.idleMs) {
        await watchdog.onIdle().catch(() => undefined);
        quietSince = Date.now();
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          local?.wake.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, local ? (watchdog?.idleMs ?? 30_000) : this.storePollMs);
        local?.wake.add(done);
        signal.addEventListener('abort', done);
        if (local?.events.some((event) => event.id > last)) done();
      });
    }
  }
}
