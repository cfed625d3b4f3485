import type { BranchData } from './data/branch-data';
import type { Faults } from './engine/faults';
import type { RateLimits } from './engine/rate-limiter';
import { type EmulatorRuntime, systemRuntime } from './engine/runtime';

/** Plan limits the emulator enforces, with Neon's errors. */
export interface EmulatorLimits {
  /** Projects per account (Free and Launch 100, Scale 1,000). */
  maxProjects: number;
  /**
   * Branches per project at which creation is refused (Free: 10; paid plans bill branches past
   * the 10 or 25 included and refuse at 5,000).
   */
  maxBranches: number;
  /** Root branches per project, "(old)" backups included (Free 3, Launch 5, Scale 25). */
  maxRootBranches: number;
  /** Manual snapshots per project (Free 1, paid 100; scheduled snapshots do not count). */
  maxSnapshots: number;
  /** How far back a snapshot `timestamp` may reach (Free 6 h, Launch 7 d, Scale 30 d). */
  historyWindowSeconds: number;
}

export type NeonPlan = 'free' | 'launch' | 'scale' | 'agent';

/**
 * Each plan's limits as Neon's docs state them (neondatabase/website
 * content/docs/introduction/plans.md, updated 2026-03-20: projects, branches, "Extra branches" up
 * to 5,000, restore window, "1 manual snapshot" / "100 manual snapshots"; root branches from
 * content/docs/manage/branches.md). The Agent plan's limits are custom per contract: Scale's,
 * with 30,000 projects. Older docs said 10 snapshots on paid plans; pass `limits` to try that.
 */
export const PLAN_LIMITS: Record<NeonPlan, EmulatorLimits> = {
  free: {
    maxProjects: 100,
    maxBranches: 10,
    maxRootBranches: 3,
    maxSnapshots: 1,
    historyWindowSeconds: 6 * 3600,
  },
  launch: {
    maxProjects: 100,
    maxBranches: 5_000,
    maxRootBranches: 5,
    maxSnapshots: 100,
    historyWindowSeconds: 7 * 86_400,
  },
  scale: {
    maxProjects: 1_000,
    maxBranches: 5_000,
    maxRootBranches: 25,
    maxSnapshots: 100,
    historyWindowSeconds: 30 * 86_400,
  },
  agent: {
    maxProjects: 30_000,
    maxBranches: 5_000,
    maxRootBranches: 25,
    maxSnapshots: 100,
    historyWindowSeconds: 30 * 86_400,
  },
};

export interface NeonEmulatorOptions {
  /** Keep data and state here across restarts; without it, a temporary folder removed by `close()`. */
  dataDir?: string;
  /** Address the endpoints' Postgres ports bind to in port mode (default 127.0.0.1). */
  host?: string;
  /**
   * How endpoints are addressed. `'hosts'`: each endpoint gets its own loopback address
   * (127.x.y.z; all of 127/8 is loopback on Linux) on Postgres's default port 5432, so a URI built
   * from `endpoint.host` alone works, as Neon's tools build it (neonctl writes
   * `postgresql://${host}` with no port). `'ports'`: one address, one port per endpoint, for
   * machines where only 127.0.0.1 exists (macOS). Default `'auto'`: hosts on Linux unless `host`
   * or `endpointPortBase` is set; an endpoint whose address cannot be bound falls back to a port.
   */
  endpointAddressing?: 'hosts' | 'ports' | 'auto';
  /** First endpoint port to try in port mode; 0 (default) picks free ports. */
  endpointPortBase?: number;
  /** Total duration of an operation in ms: a number for all, or per action. Default: realistic (0.4-1.5 s). */
  operationDurationMs?: number | ((action: string) => number);
  /** Delay before a `failed` operation is retried (default 1000 ms). */
  retryDelayMs?: number;
  /**
   * Whether a finalized restore's chain ends with `start_compute` (Neon's docs example) or not
   * (default: `timeline_unarchive`, `create_branch`, `suspend_compute`, as the reference demo
   * `snapshots-as-checkpoints-demo` documents Neon answering). The swap becomes visible when
   * `suspend_compute` runs; without `start_compute` the compute is idle after it and wakes on the
   * first connection.
   */
  finalizeStartsCompute?: boolean;
  /**
   * Refuse (422) to snapshot a branch with no compute, such as the "(old)" branch a finalized
   * restore leaves. Off by default: Neon documents snapshots as storage copies "stored without
   * an attached compute", root branches only, and the "(old)" branch stays a root branch; no
   * source says a compute is needed. On, it lets Rewind's fallback (undo point first) be tested.
   */
  snapshotsNeedCompute?: boolean;
  /**
   * Keep metadata only: no Postgres per branch (schemas are a canned pg_dump text, SQL answers
   * 422, endpoints accept no connections); operations, limits and rate limits as usual. For
   * simulations of thousands of projects (`bench/platform-scale.ts`), with `POST /emulator/seed`.
   */
  metadataOnly?: boolean;
  /** An idle compute's wake-up on its first connection, in ms (default 500). */
  coldStartMs?: number;
  /** A compute with no connections suspends after this long (default 300 s, Neon's default). */
  suspendTimeoutSeconds?: number;
  /** Neon's Branch Recovery (a preview feature): deleted branches stay listed with `include_deleted=true` for 7 days. */
  branchRecovery?: boolean;
  /** Refuse a second snapshot of the same name with 409 (default off: Neon's current CLI shows names may repeat). */
  uniqueSnapshotNames?: boolean;
  /** Accept only these API keys (401 for any other); without it any bearer token works. */
  apiKeys?: string[];
  /** Which Neon plan's limits apply (default `launch`, the smallest paid plan). */
  plan?: NeonPlan;
  /** Custom limits, over the plan's. */
  limits?: Partial<EmulatorLimits>;
  /** Neon's 700/min and 40/s/route by default; `false` turns rate limiting off. */
  rateLimits?: Partial<RateLimits> | false;
  /** Initial fault rules (and what `reset()` returns to); change them later with `emulator.faults` or the control route. */
  faults?: Partial<Faults>;
  /** Close a branch database idle for this long (default 30 s). */
  idleMs?: number;
  /** Open PGlite instances at most (default 4; each costs ~200 MB RSS). */
  maxOpenDatabases?: number;
  /**
   * Run each branch database in a worker thread (default `false`): PGlite's loads, dumps
   * and pg_dump then never block the event loop (`bench/stall.ts` measures it). Default false:
   * one full-suite run on threads had one failure not yet explained (NOTES.md, session 14).
   */
  databaseThreads?: boolean;
  /**
   * @internal The clock, timers and randomness (default: the real ones). The deterministic
   * simulation (`bench/sim`) runs the emulator on a virtual clock and a seed.
   */
  runtime?: Partial<EmulatorRuntime>;
  /**
   * @internal Branch data to use instead of the built-in kinds (with `metadataOnly`: the
   * simulation's, which holds a value per branch and snapshot in memory).
   */
  branchData?: BranchData;
  /** Called on every operation status change, with the time it happened (benchmarks, logs). */
  onOperation?: (
    operation: { id: string; project_id: string; action: string; status: string },
    atMs: number,
  ) => void;
}

// Realistic by default: what Neon's operations take for small databases.
const REALISTIC_MS: Record<string, number> = {
  create_timeline: 900,
  create_branch: 1_200,
  timeline_unarchive: 600,
  start_compute: 1_500,
  suspend_compute: 500,
  delete_timeline: 600,
  apply_config: 400,
};

export interface ResolvedOptions {
  branchRecovery: boolean;
  uniqueSnapshotNames: boolean;
  finalizeStartsCompute: boolean;
  snapshotsNeedCompute: boolean;
  metadataOnly: boolean;
  coldStartMs: number;
  suspendTimeoutSeconds: number;
  apiKeys: string[] | undefined;
  dataDir: string | undefined;
  host: string;
  endpointAddressing: 'hosts' | 'ports';
  endpointPortBase: number;
  durationMs: (action: string) => number;
  retryDelayMs: number;
  limits: EmulatorLimits;
  rateLimits: RateLimits | false;
  idleMs: number;
  maxOpenDatabases: number;
  databaseThreads: boolean;
  runtime: EmulatorRuntime;
  onOperation: NeonEmulatorOptions['onOperation'];
}

export function resolveOptions(options: NeonEmulatorOptions): ResolvedOptions {
  const duration = options.operationDurationMs;
  return {
    branchRecovery: options.branchRecovery ?? false,
    uniqueSnapshotNames: options.uniqueSnapshotNames ?? false,
    finalizeStartsCompute: options.finalizeStartsCompute ?? false,
    snapshotsNeedCompute: options.snapshotsNeedCompute ?? false,
    metadataOnly: options.metadataOnly ?? false,
    coldStartMs: options.coldStartMs ?? 500,
    suspendTimeoutSeconds: options.suspendTimeoutSeconds ?? 300,
    apiKeys: options.apiKeys,
    dataDir: options.dataDir,
    host: options.host ?? '127.0.0.1',
    endpointAddressing:
      options.endpointAddressing === 'hosts' || options.endpointAddressing === 'ports'
        ? options.endpointAddressing
        : process.platform === 'linux' && options.host === undefined && !options.endpointPortBase
          ? 'hosts'
          : 'ports',
    endpointPortBase: options.endpointPortBase ?? 0,
    durationMs:
      typeof duration === 'function'
        ? duration
        : typeof duration === 'number'
          ? () => duration
          : (action) => REALISTIC_MS[action] ?? 500,
    retryDelayMs: options.retryDelayMs ?? 1_000,
    limits: { ...PLAN_LIMITS[options.plan ?? 'launch'], ...options.limits },
    rateLimits:
      options.rateLimits === false
        ? false
        : { perMinute: 700, perSecondPerRoute: 40, ...(options.rateLimits ?? {}) },
    idleMs: options.idleMs ?? 30_000,
    maxOpenDatabases: options.maxOpenDatabases ?? 4,
    databaseThreads: options.databaseThreads ?? false,
    runtime: { ...systemRuntime, ...options.runtime },
    onOperation: options.onOperation,
  };
}
