import { RewindError } from '@rewind/protocol';
import type { NeonClient, Operation } from '../neon/neon-client';

/** How operations are followed. Defaults suit Neon; tests and the emulator can go faster. */
export interface PollSettings {
  /** Longest gap between polls while the durations are unknown or overrun (ms). */
  sparseMs: number;
  /** Margin after an expected end, and the shortest gap between polls past it (ms). */
  denseMs: number;
  /** Give up after this long (ms): `timeout`. */
  deadlineMs: number;
  /**
   * `failed` is retried by Neon (sources disagree on whether it is terminal, neon-api.md §1):
   * it counts as a failure once an operation has stayed `failed` this long (ms).
   */
  failedGraceMs: number;
}

const SUCCESS = new Set(['finished', 'skipped']);
const FAILURE = new Set(['error', 'cancelled']);

/** True once Neon is done with the operation (`failed` is not: Neon retries it). */
export function isSettledOperation(operation: Pick<Operation, 'status'>): boolean {
  return SUCCESS.has(operation.status) || FAILURE.has(operation.status);
}

// What operations usually take, learned from their `total_duration_ms` (EWMA), seeded with
// small-database figures. It decides when polling turns dense.
const SEED_MS: Record<string, number> = {
  create_timeline: 1_000,
  create_branch: 1_500,
  timeline_unarchive: 800,
  start_compute: 1_500,
  suspend_compute: 600,
  delete_timeline: 700,
  apply_config: 500,
};

/** Learned durations, shared by all restores of one handler. */
export class DurationModel {
  readonly #expected = new Map<string, number>(Object.entries(SEED_MS));
  readonly #learned = new Set<string>();

  expectedMs(action: string): number {
    return this.#expected.get(action) ?? 1_000;
  }

  /** Whether the expectation comes from this handler's own observations, not the seed figures. */
  knows(action: string): boolean {
    return this.#learned.has(action);
  }

  learn(operation: Operation): void {
    if (!SUCCESS.has(operation.status) || !(operation.total_duration_ms > 0)) return;
    const previous = this.expectedMs(operation.action);
    const next = this.#learned.has(operation.action)
      ? previous * 0.6 + operation.total_duration_ms * 0.4
      : operation.total_duration_ms;
    this.#learned.add(operation.action);
    this.#expected.set(operation.action, Math.round(next));
  }
}

export interface WatchOptions {
  settings: PollSettings;
  model: DurationModel;
  /** Called for every status change (and once for each operation's first known status). */
  onChange?: (operation: Operation) => void | Promise<void>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /**
   * Whether someone waits on the end of these operations (default true): a smaller margin after
   * the expected end. When another step follows, its end decides the notification.
   */
  urgent?: boolean;
}

/**
 * Follow operations until each one is terminal. One list request covers all of a project's
 * recent operations; operations it does not return are fetched one by one. The first poll comes
 * at the expected end of them all (learned durations), the next ones backing off from there.
 */
export async function watchOperations(
  neon: NeonClient,
  projectId: string,
  initial: Operation[],
  options: WatchOptions,
): Promise<Operation[]> {
  const now = options.now;
  const started = now();
  const latest = new Map<string, Operation>();
  const failedSince = new Map<string, number>();
  let frontId: string | undefined;
  let overrun = 0;

  const record = async (operation: Operation) => {
    const before = latest.get(operation.id);
    latest.set(operation.id, operation);
    if (before?.status !== operation.status) {
      if (SUCCESS.has(operation.status)) options.model.learn(operation);
      await options.onChange?.(operation);
    }
  };
  for (const operation of initial) await record(operation);

  for (;;) {
    const pending = initial.filter((op) => !SUCCESS.has((latest.get(op.id) as Operation).status));
    for (const op of pending) {
      const current = latest.get(op.id) as Operation;
      if (FAILURE.has(current.status)) {
        throw new RewindError(
          'operation_failed',
          `Neon operation ${current.action} ended ${current.status}`,
          {
            details: {
              operationId: current.id,
              action: current.action,
              status: current.status,
              error: current.error ?? null,
            },
          },
        );
      }
      if (current.status === 'failed') {
        const since = failedSince.get(op.id) ?? now();
        failedSince.set(op.id, since);
        if (now() - since >= options.settings.failedGraceMs) {
          throw new RewindError('operation_failed', `Neon operation ${current.action} kept failing`, {
            details: {
              operationId: current.id,
              action: current.action,
              failuresCount: current.failures_count,
            },
          });
        }
      } else {
        failedSince.delete(op.id);
      }
    }
    if (pending.length === 0) return initial.map((op) => latest.get(op.id) as Operation);
    if (now() - started > options.settings.deadlineMs) {
      throw new RewindError(
        'timeout',
        `Neon operations did not settle within ${options.settings.deadlineMs} ms`,
        {
          details: {
            pending: pending.map((op) => ({
              id: op.id,
              action: op.action,
              status: latest.get(op.id)?.status,
            })),
          },
        },
      );
    }

    const head = pending[0] as Operation;
    if (frontId !== head.id) {
      frontId = head.id;
      overrun = 0;
    }
    // Neon runs a project's operations in order: the wait ends when the last one does, expected
    // at the sum of what each usually takes, from the start. One poll then, when Neon runs to
    // form (each poll is a request against the account's rate limit). While an action's figure
    // is only the seed (nothing learned yet) the wait is capped at `sparseMs`.
    const chainMs = initial.reduce((sum, op) => sum + options.model.expectedMs(op.action), 0);
    const untilEnd = chainMs - (now() - started);
    const known = pending.every((op) => options.model.knows(op.action));
    let delay: number;
    if (untilEnd > 0) {
      const margin = options.urgent === false ? options.settings.denseMs : options.settings.denseMs / 3;
      delay = known ? untilEnd + margin : Math.min(options.settings.sparseMs, untilEnd + margin);
    } else {
      // Past the expected end: soon again (operations often overrun a little), then backing off
      // in proportion to the operation in front, never sparser than `sparseMs`.
      const step = Math.max(options.settings.denseMs, 0.2 * options.model.expectedMs(head.action));
      delay = Math.min(options.settings.sparseMs, step * (1 + 0.5 * overrun));
      overrun++;
    }
    delay = Math.min(delay, options.settings.deadlineMs - (now() - started) + 10);
    await options.sleep(Math.max(10, Math.round(delay)));

    const updates = await neon.listOperations(projectId, Math.min(1_000, Math.max(20, initial.length * 4)));
    const byId = new Map(updates.map((op) => [op.id, op]));
    for (const op of pending) {
      const update = byId.get(op.id) ?? (await neon.getOperation(projectId, op.id));
      await record(update);
    }
  }
}
