export interface RateLimits {
  /** Requests per minute for the whole account (Neon: 700). */
  perMinute: number;
  /** Requests per second per route (Neon: 40). */
  perSecondPerRoute: number;
}

/**
 * Neon's documented limits as sliding windows: 700 requests a minute per account and a
 * burst of 40 a second per route. Exceeding either answers 429.
 */
export class RateLimiter {
  readonly #account: number[] = [];
  readonly #routes = new Map<string, number[]>();

  constructor(private readonly limits: RateLimits) {}

  /** Records the request and returns the seconds to wait, or 0 when it is allowed. */
  take(route: string, now: number): number {
    prune(this.#account, now - 60_000);
    const routeHits = this.#routes.get(route) ?? [];
    prune(routeHits, now - 1_000);
    if (this.#account.length >= this.limits.perMinute) {
      return Math.max(1, Math.ceil(((this.#account[0] ?? now) + 60_000 - now) / 1000));
    }
    if (routeHits.length >= this.limits.perSecondPerRoute) return 1;
    this.#account.push(now);
    routeHits.push(now);
    this.#routes.set(route, routeHits);
    return 0;
  }
}

function prune(hits: number[], before: number) {
  let drop = 0;
  while (drop < hits.length && (hits[drop] as number) <= before) drop++;
  if (drop > 0) hits.splice(0, drop);
}
