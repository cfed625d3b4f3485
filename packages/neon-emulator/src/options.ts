import type { Faults } from './engine/faults';
import type { RateLimits } from './engine/rate-limiter';

/** Plan limits the emulator enforces, with Neon's errors. */
export interface EmulatorLimits {
  /** Branches per project (Neon Free: 10). */
  maxBranches: number;
  /** Root branches per project, "(old)" backups included (Neon Free: 3). */
  maxRootBranches: number;
  /** Manual snapshots per project (Neon paid plans, 2026: 100). */
  maxSnapshots: number;
  /** How far back a snapshot `timestamp` may reach (Neon Free: 6 h). */
  historyWindowSeconds: number;
}

export interface NeonEmulatorOptions {
  /** Keep data and state here across restarts; without it, a temporary folder removed by `close()`. */
  dataDir?: string;
  /** Address the endpoints' Postgres ports bind to (default 127.0.0.1). */
  host?: string;
  /** First endpoint port to try; 0 (default) picks free ports. */
  endpointPortBase?: number;
  /** Total duration of an operation in ms: a number for all, or per action. Default: realistic (0.4-1.5 s). */
  operationDurationMs?: number | ((action: string) => number);
  /** Delay before a `failed` operation is retried (default 1000 ms). */
  retryDelayMs?: number;
  limits?: Partial<EmulatorLimits>;
  /** Neon's 700/min and 40/s/route by default; `false` turns rate limiting off. */
  rateLimits?: Partial<RateLimits> | false;
  /** Initial fault rules; change them later with `emulator.faults` or the control route. */
  faults?: Partial<Faults>;
  /** Close a branch database idle for this long (default 30 s). */
  idleMs?: number;
  /** Open PGlite instances at most (default 4; each costs ~200 MB RSS). */
  maxOpenDatabases?: number;
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
  dataDir: string | undefined;
  host: string;
  endpointPortBase: number;
  durationMs: (action: string) => number;
  retryDelayMs: number;
  limits: EmulatorLimits;
  rateLimits: RateLimits | false;
  idleMs: number;
  maxOpenDatabases: number;
  onOperation: NeonEmulatorOptions['onOperation'];
}

export function resolveOptions(options: NeonEmulatorOptions): ResolvedOptions {
  const duration = options.operationDurationMs;
  return {
    dataDir: options.dataDir,
    host: options.host ?? '127.0.0.1',
    endpointPortBase: options.endpointPortBase ?? 0,
    durationMs:
      typeof duration === 'function'
        ? duration
        : typeof duration === 'number'
          ? () => duration
          : (action) => REALISTIC_MS[action] ?? 500,
    retryDelayMs: options.retryDelayMs ?? 1_000,
    limits: {
      maxBranches: 10,
      maxRootBranches: 3,
      maxSnapshots: 100,
      historyWindowSeconds: 6 * 3600,
      ...options.limits,
    },
    rateLimits:
      options.rateLimits === false
        ? false
        : { perMinute: 700, perSecondPerRoute: 40, ...(options.rateLimits ?? {}) },
    idleMs: options.idleMs ?? 30_000,
    maxOpenDatabases: options.maxOpenDatabases ?? 4,
    onOperation: options.onOperation,
  };
}
