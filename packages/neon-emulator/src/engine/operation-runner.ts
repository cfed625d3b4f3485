import type { FaultInjector } from './faults';
import { isoTime, newId } from './ids';
import { type OperationRecord, TERMINAL_STATUSES } from './records';
import { type EmulatorRuntime, sleepOn } from './runtime';

/** One operation a call schedules, and the work that happens while it runs. */
export interface OperationSpec {
  action: string;
  branch_id?: string | undefined;
  endpoint_id?: string | undefined;
  /** The data change; its effect becomes visible only when the operation finishes. */
  run?: () => Promise<void>;
  /** This operation's own duration, over the action's (background work Neon starts itself). */
  durationMs?: number;
  /** Background work of Neon's own: fault rules (meant for the calls under test) skip it. */
  background?: boolean;
}

export interface OperationTimings {
  /** How long an operation with this action takes in all (ms). */
  durationMs: (action: string) => number;
  /** Delay before a `failed` operation is retried (ms). */
  retryDelayMs: number;
}

/**
 * Runs operations like Neon: per project, one after the other, `scheduling → running →
 * finished`, with faults injected on demand. While any operation of a project is not terminal,
 * the project is locked (423 for new mutations).
 */
export class OperationRunner {
  readonly #chains = new Map<string, Promise<void>>();
  /** When each operation was created, to the millisecond (records carry seconds, as Neon's). */
  readonly createdMs = new Map<string, number>();

  constructor(
    private readonly runtime: EmulatorRuntime,
    private readonly operations: OperationRecord[],
    private readonly faults: FaultInjector,
    private readonly timings: OperationTimings,
    private readonly changed: () => void,
    private readonly observe?: (operation: OperationRecord, atMs: number) => void,
  ) {}

  /** Create the operations now (status `scheduling`) and run them in the background. */
  enqueue(projectId: string, specs: OperationSpec[]): OperationRecord[] {
    const now = isoTime(this.runtime.now());
    const records = specs.map((spec) => {
      const record: OperationRecord = {
        id: newId('operation', this.runtime.random),
        project_id: projectId,
        action: spec.action,
        status: 'scheduling',
        failures_count: 0,
        created_at: now,
        updated_at: now,
        total_duration_ms: 0,
      };
      if (spec.branch_id) record.branch_id = spec.branch_id;
      if (spec.endpoint_id) record.endpoint_id = spec.endpoint_id;
      this.operations.push(record);
      this.createdMs.set(record.id, this.runtime.now());
      return record;
    });
    this.changed();
    const previous = this.#chains.get(projectId) ?? Promise.resolve();
    const chain = previous.then(() => this.#runChain(records, specs));
    this.#chains.set(projectId, chain);
    void chain.finally(() => {
      if (this.#chains.get(projectId) === chain) this.#chains.delete(projectId);
    });
    return records.map((record) => ({ ...record }));
  }

  /** True while the project has an operation that is not terminal. */
  isLocked(projectId: string): boolean {
    return this.operations.some((op) => op.project_id === projectId && !TERMINAL_STATUSES.has(op.status));
  }

  /** Resolves when every scheduled operation (of one project, or of all) has settled. */
  async settled(projectId?: string): Promise<void> {
    const chains = projectId ? [this.#chains.get(projectId)] : [...this.#chains.values()];
    await Promise.all(chains.map((chain) => chain?.catch(() => undefined)));
  }

  async #runChain(records: OperationRecord[], specs: OperationSpec[]): Promise<void> {
    for (let i = 0; i < records.length; i++) {
      const ok = await this.#run(records[i] as OperationRecord, specs[i] as OperationSpec);
      if (!ok) {
        for (const rest of records.slice(i + 1)) {
          this.#set(rest, 'cancelled', {
            error: 'cancelled: a previous operation of the same request failed',
          });
        }
        return;
      }
    }
  }

  async #run(record: OperationRecord, spec: OperationSpec): Promise<boolean> {
    const started = this.runtime.now();
    const total = Math.max(0, spec.durationMs ?? this.timings.durationMs(spec.action));
    await this.#sleep(total * 0.2);
    this.#set(record, 'running');
    const fault = spec.background ? undefined : this.faults.takeOperation(spec.action);

    if (fault?.outcome === 'error' || fault?.outcome === 'cancelled') {
      if (fault.afterEffect)
        await Promise.all([spec.run?.(), this.#sleep(total * 0.8)]).catch(() => undefined);
      else await this.#sleep(total * 0.8);
      if (fault.outcome === 'cancelled') {
        this.#set(record, 'cancelling');
        await this.#sleep(Math.min(50, total * 0.1));
      }
      this.#set(record, fault.outcome, {
        error: fault.outcome === 'error' ? `injected fault: ${spec.action} failed` : 'cancelled',
        started,
      });
      return false;
    }

    if (fault?.outcome === 'failed') {
      for (let n = 0; n < (fault.failures ?? 1); n++) {
        await this.#sleep(total * 0.4);
        const retryAt = this.runtime.now() + this.timings.retryDelayMs;
        this.#set(record, 'failed', {
          error: `injected fault: ${spec.action} failed, will retry`,
          failures_count: record.failures_count + 1,
          retry_at: isoTime(retryAt),
        });
        await this.#sleep(this.timings.retryDelayMs);
        this.#set(record, 'running');
      }
      if (fault.endsIn === 'error') {
        this.#set(record, 'error', { error: `injected fault: ${spec.action} failed permanently`, started });
        return false;
      }
    }

    try {
      await Promise.all([spec.run?.(), this.#sleep(total * 0.8)]);
    } catch (error) {
      this.#set(record, 'error', { error: error instanceof Error ? error.message : String(error), started });
      return false;
    }
    this.#set(record, fault?.outcome === 'skipped' ? 'skipped' : 'finished', { started });
    return true;
  }

  #sleep(ms: number): Promise<void> {
    return sleepOn(this.runtime, ms);
  }

  #set(
    record: OperationRecord,
    status: OperationRecord['status'],
    extra: { error?: string; failures_count?: number; retry_at?: string; started?: number } = {},
  ): void {
    record.status = status;
    record.updated_at = isoTime(this.runtime.now());
    if (extra.error !== undefined) record.error = extra.error;
    if (extra.failures_count !== undefined) record.failures_count = extra.failures_count;
    if (extra.retry_at !== undefined) record.retry_at = extra.retry_at;
    if (status === 'running') {
      delete record.retry_at;
      delete record.error;
    }
    if (extra.started !== undefined) record.total_duration_ms = this.runtime.now() - extra.started;
    this.changed();
    this.observe?.({ ...record }, this.runtime.now());
  }
}
