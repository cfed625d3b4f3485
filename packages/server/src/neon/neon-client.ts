import { type Branch, createApiClient, type Operation, type Snapshot } from '@neondatabase/api-client';
import { DEFAULTS } from '../defaults';
import type { Runtime } from '../types';
import { NeonHttpError, toRewindError } from './neon-http-error';
import type { RequestBudget, RequestPriority } from './request-budget';
import { RETRYABLE_STATUSES, type RetryPolicy, retryDelayMs } from './retry';

export type { Branch, Operation, Snapshot };

/** How to reach Neon. Everything is injected; nothing is read from the environment. */
export interface NeonOptions {
  apiKey: string;
  /** Default `https://console.neon.tech/api/v2`; point it at `@rewind/neon-emulator` for local use. */
  baseURL?: string;
  /** The fetch the api-client uses (its `fetch` adapter), so tests and emulators plug in here. */
  fetch?: typeof fetch;
  /**
   * Bound on one Neon request (default 15 s). Restore recovery waits a lease plus this before it
   * concludes a restore call never landed, so it must stay well under `restoreLeaseMs`.
   */
  timeoutMs?: number;
}

/** Run before every attempt of a mutating call: throws to stop it (a restore job that lost its lease). */
export type CallGuard = () => void | Promise<void>;

interface AxiosLikeResponse<T> {
  status: number;
  data: T;
  headers: { get?: (name: string) => unknown } & Record<string, unknown>;
}

/**
 * `fetchImpl` bounded to `timeoutMs` on Rewind's own timers (axios's `timeout` is a real timer a
 * test or the simulation cannot move). Races the answer rather than relying on the abort alone:
 * an in-process fetch (the emulator's) may ignore the signal.
 */
function boundedFetch(fetchImpl: typeof fetch, timeoutMs: number, runtime: Runtime): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const controller = new AbortController();
      const outer = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      const onAbort = () => controller.abort(outer?.reason);
      outer?.addEventListener('abort', onAbort, { once: true });
      const cancel = runtime.timer(timeoutMs, () => {
        const error = new Error(`Neon did not answer within ${timeoutMs} ms`);
        error.name = 'TimeoutError';
        controller.abort(error);
        reject(error);
      });
      fetchImpl(input, { ...init, signal: controller.signal })
        .then(resolve, reject)
        .finally(() => {
          cancel();
          outer?.removeEventListener('abort', onAbort);
        });
    });
}

/** The few Neon calls Rewind makes, with retries and typed errors. The only api-client importer. */
export class NeonClient {
  #api: ReturnType<typeof createApiClient>;
  readonly #retry: RetryPolicy;
  readonly #runtime: Runtime;
  readonly #budget: RequestBudget | undefined;
  #priority: RequestPriority = 'user';
  /** The bound on one request (ms). */
  readonly timeoutMs: number;

  constructor(
    options: NeonOptions,
    retry: Partial<RetryPolicy> = {},
    runtime: Runtime,
    /** Shared by every instance through the store: keeps the deployment under Neon's limits. */
    budget?: RequestBudget,
  ) {
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.neonTimeoutMs;
    this.#budget = budget;
    this.#api = createApiClient({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? DEFAULTS.neonBaseURL,
      // The fetch adapter is the one path that works on every runtime (workerd, edge, Deno, Bun).
      adapter: 'fetch',
      env: { fetch: boundedFetch(fetchImpl, this.timeoutMs, runtime) },
      validateStatus: () => true,
    });
    this.#retry = { ...DEFAULTS.retry, ...retry };
    this.#runtime = runtime;
    this.#options = options;
  }

  readonly #options: NeonOptions;

  /** The same client (one HTTP client, one budget) whose requests are budgeted at `priority`. */
  withPriority(priority: RequestPriority): NeonClient {
    const view = new NeonClient(this.#options, this.#retry, this.#runtime, this.#budget);
    view.#api = this.#api;
    view.#priority = priority;
    return view;
  }

  async #call<T>(
    what: string,
    run: (api: ReturnType<typeof createApiClient>) => Promise<unknown>,
    guard?: CallGuard,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let response: AxiosLikeResponse<T>;
      // Budget first: the lease guard must hold when the request actually goes out.
      await this.#budget?.take(what, this.#priority);
      await guard?.();
      try {
        response = (await run(this.#api)) as AxiosLikeResponse<T>;
      } catch (error) {
        throw toRewindError(error, what);
      }
      if (response.status < 300) return response.data;
      const body = response.data as { code?: unknown; message?: unknown; request_id?: unknown } | undefined;
      const error = new NeonHttpError(
        response.status,
        typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`,
        header(response, 'retry-after'),
        typeof body?.request_id === 'string' ? body.request_id : undefined,
        typeof body?.code === 'string' ? body.code : '',
      );
      if (!RETRYABLE_STATUSES.has(response.status) || attempt >= this.#retry.retries)
        throw toRewindError(error, what);
      const delay = retryDelayMs(
        this.#retry,
        attempt,
        error.retryAfter,
        this.#runtime.random,
        this.#runtime.clock(),
      );
      if (delay === undefined) throw toRewindError(error, what);
      await this.#runtime.sleep(delay);
    }
  }

  /** The live branch by name (its id changes after every restore, so never cache it). */
  async findBranchByName(projectId: string, name: string): Promise<Branch | undefined> {
    const data = await this.#call<{ branches: Branch[] }>('list branches', (api) =>
      api.listProjectBranches({ projectId, search: name }),
    );
    return data.branches.find((branch) => branch.name === name);
  }

  /** Every branch of the project (one page: plans allow far fewer than Neon's page limit). */
  async listBranches(projectId: string): Promise<Branch[]> {
    const data = await this.#call<{ branches: Branch[] }>('list branches', (api) =>
      api.listProjectBranches({ projectId, limit: 10_000 }),
    );
    return data.branches;
  }

  async getBranch(projectId: string, branchId: string): Promise<Branch> {
    const data = await this.#call<{ branch: Branch }>('get branch', (api) =>
      api.getProjectBranch(projectId, branchId),
    );
    return data.branch;
  }

  /** Snapshot parameters go as QUERY parameters: Neon silently ignores a JSON body here. */
  async createSnapshot(
    projectId: string,
    branchId: string,
    query: { name: string; expires_at?: string | undefined },
    guard?: CallGuard,
  ): Promise<{ snapshot: Snapshot; operations: Operation[] }> {
    return this.#call(
      'create snapshot',
      (api) => api.createSnapshot({ projectId, branchId, ...query }),
      guard,
    );
  }

  async listSnapshots(projectId: string): Promise<Snapshot[]> {
    const data = await this.#call<{ snapshots: Snapshot[] }>('list snapshots', (api) =>
      api.listSnapshots(projectId),
    );
    return data.snapshots;
  }

  async deleteSnapshot(projectId: string, snapshotId: string, guard?: CallGuard): Promise<Operation[]> {
    const data = await this.#call<{ operations: Operation[] }>(
      'delete snapshot',
      (api) => api.deleteSnapshot(projectId, snapshotId),
      guard,
    );
    return data.operations;
  }

  async restoreSnapshot(
    projectId: string,
    snapshotId: string,
    body: { target_branch_id: string; finalize_restore: boolean; name?: string },
    guard?: CallGuard,
  ): Promise<{ branch: Branch; operations: Operation[] }> {
    return this.#call(
      'restore snapshot',
      (api) => api.restoreSnapshot({ projectId, snapshotId }, body),
      guard,
    );
  }

  async finalizeRestore(projectId: string, branchId: string, guard?: CallGuard): Promise<Operation[]> {
    const data = await this.#call<{ operations: Operation[] }>(
      'finalize restore',
      (api) => api.finalizeRestoreBranch(projectId, branchId, {}),
      guard,
    );
    return data.operations;
  }

  /** Deletes a branch; an already missing branch (204) is success with no operations. */
  async deleteBranch(projectId: string, branchId: string, guard?: CallGuard): Promise<Operation[]> {
    const data = await this.#call<{ operations?: Operation[] } | ''>(
      'delete branch',
      (api) => api.deleteProjectBranch({ projectId, branchId }),
      guard,
    );
    return typeof data === 'object' && data !== null ? (data.operations ?? []) : [];
  }

  /** The project's newest operations, in one request. */
  async listOperations(projectId: string, limit: number): Promise<Operation[]> {
    const data = await this.#call<{ operations: Operation[] }>('list operations', (api) =>
      api.listProjectOperations({ projectId, limit }),
    );
    return data.operations;
  }

  async getOperation(projectId: string, operationId: string): Promise<Operation> {
    const data = await this.#call<{ operation: Operation }>('get operation', (api) =>
      api.getProjectOperation(projectId, operationId),
    );
    return data.operation;
  }

  async compareSchema(
    projectId: string,
    branchId: string,
    baseBranchId: string,
    dbName: string,
  ): Promise<string> {
    const data = await this.#call<{ diff?: string }>('compare schema', (api) =>
      api.getProjectBranchSchemaComparison({
        projectId,
        branchId,
        base_branch_id: baseBranchId,
        db_name: dbName,
      }),
    );
    return data.diff ?? '';
  }

  /** The database's schema as pg_dump writes it (`GET …/branches/{id}/schema`). */
  /** The database's schema as pg_dump writes it, at the branch head or at `lsn`. */
  async branchSchema(projectId: string, branchId: string, dbName: string, lsn?: string): Promise<string> {
    const data = await this.#call<{ sql?: string }>('read schema', (api) =>
      api.getProjectBranchSchema({ projectId, branchId, db_name: dbName, ...(lsn ? { lsn } : {}) }),
    );
    return data.sql ?? '';
  }

  async connectionUri(
    projectId: string,
    branchId: string,
    databaseName: string,
    roleName: string,
  ): Promise<string> {
    const data = await this.#call<{ uri: string }>('connection uri', (api) =>
      api.getConnectionUri({
        projectId,
        branch_id: branchId,
        database_name: databaseName,
        role_name: roleName,
      }),
    );
    return data.uri;
  }
}

function header(response: AxiosLikeResponse<unknown>, name: string): string | null {
  const headers = response.headers;
  const value = typeof headers?.get === 'function' ? headers.get(name) : headers?.[name];
  return typeof value === 'string' ? value : null;
}
