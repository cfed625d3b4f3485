/** Make matching operations end some other way than `finished`. */
export interface OperationFault {
  /** Only operations with this action (any when omitted). */
  action?: string;
  /**
   * `failed`: the operation goes `failed` (failures_count++, retry_at set) `failures` times,
   * then recovers and finishes, or ends in `error` when `endsIn` is `'error'`.
   * `error` / `cancelled`: terminal failure; later operations of the same call are cancelled.
   * `skipped`: the operation's work is done but it reports `skipped`.
   */
  outcome: 'failed' | 'error' | 'cancelled' | 'skipped';
  /**
   * With `error` / `cancelled`: the operation's work lands first, then it reports the failure
   * (a compute suspended and moved, an endpoint that says it failed: Neon's outcome is what the
   * branches then show, not the status).
   */
  afterEffect?: boolean;
  failures?: number;
  endsIn?: 'finished' | 'error';
  /** How many operations this rule applies to (default 1). */
  times?: number;
}

/** Answer matching requests with an error instead of serving them. */
export interface HttpFault {
  status: 404 | 422 | 423 | 429 | 500 | 503;
  /** Only this method (any when omitted). */
  method?: string;
  /** Only paths containing this text, e.g. `/restore` (any when omitted). */
  path?: string;
  /** How many requests this rule applies to (default 1). */
  times?: number;
  /** Seconds, sent as `Retry-After` (429, 503). */
  retryAfter?: number;
}

export interface Faults {
  operations: OperationFault[];
  http: HttpFault[];
  /** Added to every API request, in ms. */
  latencyMs: number;
  /**
   * Read-after-create lag: for this many ms after a branch is created, a GET of it answers 404
   * and a mutation of it answers 422 `branch not ready yet`, as Neon sometimes does.
   */
  newBranchLagMs: number;
  /** The operations list leaves out operations younger than this (a GET by id still finds them). */
  operationsListLagMs: number;
  /** After a restore is finalized, branch lists and reads show the branches as before for this long. */
  branchListLagMs: number;
  /**
   * Operations Rewind did not start: every `everyMs` per project with a live endpoint, Neon's
   * control plane runs one of `actions` (default `check_availability`, `suspend_compute`) for
   * `durationMs`. They appear in lists and hold the project's 423 lock.
   */
  foreignOperations: { everyMs: number; durationMs: number; actions?: string[] } | null;
  /**
   * A branch made by a snapshot restore begins `detaching` this many ms after its create_branch
   * finishes, for `detachingMs` (a `detach_parent_branch` operation, holding the lock), then goes
   * back to its status (spec `BranchRestoreStatus`). 0: never.
   */
  detachAfterRestoreMs: number;
  detachingMs: number;
}

export function emptyFaults(): Faults {
  return {
    operations: [],
    http: [],
    latencyMs: 0,
    newBranchLagMs: 0,
    operationsListLagMs: 0,
    branchListLagMs: 0,
    foreignOperations: null,
    detachAfterRestoreMs: 0,
    detachingMs: 0,
  };
}

/**
 * The eventual consistency and background work that public evidence shows on real Neon (see
 * neon-api.md §6 and NOTES.md), in one set: off by default, on in the chaos harness and in the
 * server's realistic test run.
 */
export const REALISTIC_FAULTS: Partial<Faults> = {
  newBranchLagMs: 150,
  operationsListLagMs: 250,
  branchListLagMs: 300,
  foreignOperations: { everyMs: 2_500, durationMs: 200 },
  detachAfterRestoreMs: 100,
  detachingMs: 300,
};

/** Holds the fault rules of one emulator instance and hands them out as they match. */
export class FaultInjector {
  #faults: Faults;

  /** `initial`: the rules the emulator starts with, and `reset()` goes back to. */
  constructor(private readonly initial: Partial<Faults> = {}) {
    this.#faults = { ...emptyFaults(), ...structuredClone(initial) };
  }

  /**
   * The rules now, read-only. A copy made once per change, not per read: the engine reads the
   * rules on every request and operation (a simulation runs millions of them).
   */
  get current(): Faults {
    this.#view ??= deepFreeze(structuredClone(this.#faults));
    return this.#view;
  }
  #view: Faults | undefined;

  /** Replace some or all of the rules. */
  set(faults: Partial<Faults>): void {
    this.#faults = { ...this.#faults, ...structuredClone(faults) };
    this.#view = undefined;
  }

  reset(): void {
    this.#faults = { ...emptyFaults(), ...structuredClone(this.initial) };
    this.#view = undefined;
  }

  takeHttp(method: string, path: string): HttpFault | undefined {
    if (this.#faults.http.length === 0) return undefined;
    this.#view = undefined;
    return take(
      this.#faults.http,
      (rule) =>
        (rule.method === undefined || rule.method.toUpperCase() === method) &&
        (rule.path === undefined || path.includes(rule.path)),
    );
  }

  takeOperation(action: string): OperationFault | undefined {
    if (this.#faults.operations.length === 0) return undefined;
    this.#view = undefined;
    return take(this.#faults.operations, (rule) => rule.action === undefined || rule.action === action);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function take<T extends { times?: number }>(rules: T[], matches: (rule: T) => boolean): T | undefined {
  const index = rules.findIndex(matches);
  if (index === -1) return undefined;
  const rule = rules[index] as T;
  const left = (rule.times ?? 1) - 1;
  if (left <= 0) rules.splice(index, 1);
  else rule.times = left;
  return rule;
}
