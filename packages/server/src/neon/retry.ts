/** How Rewind retries Neon: only what Neon documents as safe to retry (423, 429, 503). */
export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  retries: number;
  /** Full-jitter exponential backoff base and cap, in ms (defaults 250 and 8000). */
  baseMs: number;
  capMs: number;
  /** A `Retry-After` longer than this is not waited for: the error surfaces (default 30 s). */
  maxRetryAfterMs: number;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([423, 429, 503]);

/** The wait before retry `attempt` (0-based): `Retry-After` when Neon sends one, else jittered backoff. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: string | null | undefined,
  random: () => number,
  now: number,
): number | undefined {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms)) {
      if (ms > policy.maxRetryAfterMs) return undefined;
      return Math.max(0, ms);
    }
  }
  return Math.floor(random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt));
}
