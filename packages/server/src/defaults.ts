import type { Runtime } from './types';

// Every default of the server, in one place: option values, and the real clock, timers and
// randomness (the only place the server touches `Date`, timers and `Math.random` directly).

function timer(ms: number, fn: () => void): () => void {
  const handle = setTimeout(fn, ms);
  (handle as { unref?: () => void }).unref?.();
  return () => clearTimeout(handle);
}

/** The real clock, timers and randomness. */
export const systemRuntime: Runtime = {
  clock: () => Date.now(),
  elapsed: () => performance.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  timer,
  random: () => Math.random(),
  randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
};

const DAY_MS = 86_400_000;

/** Every option default, in one place. */
export const DEFAULTS = {
  tokenTtlMs: 3_600_000,
  previewTtlMs: 30 * 60_000,
  lockWaitMs: 15_000,
  reconcileIntervalMs: 300_000,
  restoreLeaseMs: 30_000,
  heartbeatMs: 3_000,
  maxBodyBytes: 64 * 1024,
  /** Neon's paid plans in 2026 (neon-api.md; Free has 1): the quota when the platform names none. */
  snapshotQuota: 100,
  backups: { keep: 3, ttlMs: DAY_MS },
  poll: { sparseMs: 1_000, denseMs: 150, deadlineMs: 300_000, failedGraceMs: 30_000 },
  retry: { retries: 5, baseMs: 250, capMs: 8_000, maxRetryAfterMs: 30_000 },
  neonTimeoutMs: 15_000,
  neonBaseURL: 'https://console.neon.tech/api/v2',
  budget: {
    perMinute: 700,
    perSecondPerRoute: 40,
    userWaitMs: 2_000,
    saveWaitMs: 15_000,
    backgroundWaitMs: 5_000,
  },
} as const;
