import { RewindError } from '@rewind/protocol';
import type { NeonClient, Operation } from '../neon/neon-client';

/** How operations are followed. Defaults suit Neon; tests and the emulator can go faster. */
export interface PollSettings {
  /** Poll interval while no operation is expected to finish soon (ms). */
  sparseMs: number;
  /** Poll interval around an operation's expected end (ms). */
  denseMs: number;
  /**
   * Longest gap while approaching the expected end of an operation someone waits on (ms).
   * Durations spread widely (an operation often takes half or twice its usual time), so waiting
   * for the expected end alone makes early finishers wait up to a whole expected duration.
   */
  approachMs: number;
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

  expectedMs(action: string): number {
    return this.#expected.get(action) ?? 1_000;
  }

  learn(operation: Operation): void {
    if (!SUCCESS.has(operation.status) || !(operation.total_duration_ms > 0)) return;
    const previous = this.expectedMs(operation.action);
    this.#expected.set(operation.action, Math.round(previous * 0.6 + operation.total_duration_ms * 0.4));
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
   * Whether someone waits on the end of these operations (default true). When another step
   * follows (a restore's cleanup), its end decides the notification: poll these sparsely.
   */
  urgent?: boolean;
}

/**
 * Follow operations until each one is terminal. One list request covers all of a project's
 * recent operations; operations it does not return are fetched one by one. Neon runs a
 * project's operations in order, so the interval follows the one in front: sparse while it is
 * far from its expected end, dense around it, backing off when it overruns.
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
  let front: { id: string; since: number } | undefined;
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
    if (front?.id !== head.id) {
      front = { id: head.id, since: now() };
      overrun = 0;
    }
    const remaining = options.model.expectedMs(head.action) - (now() - front.since);
    // Only the end of the last operation is worth dense polling; before it, about once a second.
    const dense = options.urgent !== false && pending.length === 1;
    let delay: number;
    if (!dense) {
      delay =
        remaining > options.settings.denseMs
          ? Math.min(options.settings.sparseMs, remaining)
          : options.settings.sparseMs;
    } else if (remaining > options.settings.denseMs * 2) {
      delay = Math.min(
        options.settings.sparseMs,
        options.settings.approachMs,
        remaining - options.settings.denseMs,
      );
    } else {
      // Past the expected end: stay dense for a while, then back off gently (linear, not
      // exponential): operations often overrun by 2×, and this is the poll that decides latency.
      delay = Math.min(
        options.settings.sparseMs,
        options.settings.denseMs * (1 + 0.25 * Math.max(0, overrun - 4)),
      );
      overrun++;
    }
    await options.sleep(Math.max(10, Math.round(delay)));

    const updates = await neon.listOperations(projectId, Math.min(1_000, Math.max(20, initial.length * 4)));
    const byId = new Map(updates.map((op) => [op.id, op]));
    for (const op of pending) {
      const update = byId.get(op.id) ?? (await neon.getOperation(projectId, op.id));
      await record(update);
    }
  }
}
