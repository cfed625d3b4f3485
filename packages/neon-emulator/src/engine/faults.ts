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
}

export function emptyFaults(): Faults {
  return { operations: [], http: [], latencyMs: 0, newBranchLagMs: 0 };
}

/** Holds the fault rules of one emulator instance and hands them out as they match. */
export class FaultInjector {
  #faults: Faults = emptyFaults();

  get current(): Faults {
    return structuredClone(this.#faults);
  }

  /** Replace some or all of the rules. */
  set(faults: Partial<Faults>): void {
    this.#faults = { ...this.#faults, ...structuredClone(faults) };
  }

  reset(): void {
    this.#faults = emptyFaults();
  }

  takeHttp(method: string, path: string): HttpFault | undefined {
    return take(
      this.#faults.http,
      (rule) =>
        (rule.method === undefined || rule.method.toUpperCase() === method) &&
        (rule.path === undefined || path.includes(rule.path)),
    );
  }

  takeOperation(action: string): OperationFault | undefined {
    return take(this.#faults.operations, (rule) => rule.action === undefined || rule.action === action);
  }
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
