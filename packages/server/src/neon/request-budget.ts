import { RewindError } from '@rewind/protocol';
import { DEFAULTS } from '../defaults';
import type { RewindStore } from '../stores/store';
import type { Runtime } from '../types';

/**
 * Who is asking: a running restore first (a user is watching it and the project is locked),
 * user actions next, background work (reconciliation, cleanup) last. `save` is a version's
 * creation: a user action's share, but it waits longer (`saveWaitMs`), because an agent's
 * checkpoint a few seconds late is better than one refused in a burst.
 */
export type RequestPriority = 'restore' | 'user' | 'save' | 'background';

export interface RequestBudgetOptions {
  /** Neon's account-wide limit (default 700 a minute), for every instance of the deployment. */
  perMinute?: number;
  /** Neon's per-route limit (default 40 a second). */
  perSecondPerRoute?: number;
  /** How long a user action waits for budget before answering `rate_limited` (default 2 s). */
  userWaitMs?: number;
  /** How long a version's creation waits for budget before answering `rate_limited` (default 15 s). */
  saveWaitMs?: number;
  /** How long background work waits before giving up until next time (default 5 s). */
  backgroundWaitMs?: number;
}

// Shares of each bucket that a priority may not use: background work never takes the last
// half, user actions never the last tenth, so a running restore always finds budget.
const RESERVE: Record<RequestPriority, number> = { restore: 0, user: 0.1, save: 0.1, background: 0.5 };

/**
 * Token buckets shared by every instance through the store, sized so that no 60 s window (and
 * no 1 s window per route) can exceed Neon's limits: a bucket of capacity C refilled at r lets
 * through at most C + r·W in a window W, so r = (limit − C) / W.
 */
export class RequestBudget {
  readonly #store: RewindStore;
  readonly #runtime: Pick<Runtime, 'clock' | 'sleep'>;
  readonly #account: { capacity: number; perSecond: number };
  readonly #route: { capacity: number; perSecond: number };
  readonly #waitMs: Record<RequestPriority, number>;

  constructor(store: RewindStore, options: RequestBudgetOptions, runtime: Pick<Runtime, 'clock' | 'sleep'>) {
    this.#store = store;
    this.#runtime = runtime;
    const perMinute = options.perMinute ?? DEFAULTS.budget.perMinute;
    const perSecond = options.perSecondPerRoute ?? DEFAULTS.budget.perSecondPerRoute;
    const accountBurst = Math.max(1, Math.floor(perMinute / 20));
    const routeBurst = Math.max(1, Math.floor(perSecond / 4));
    this.#account = { capacity: accountBurst, perSecond: (perMinute - accountBurst) / 60 };
    this.#route = { capacity: routeBurst, perSecond: perSecond - routeBurst };
    this.#waitMs = {
      restore: 60_000,
      user: options.userWaitMs ?? DEFAULTS.budget.userWaitMs,
      save: options.saveWaitMs ?? DEFAULTS.budget.saveWaitMs,
      background: options.backgroundWaitMs ?? DEFAULTS.budget.backgroundWaitMs,
    };
  }

  /** Wait for one request's budget on `route`; `rate_limited` when it does not come in time. */
  async take(route: string, priority: RequestPriority): Promise<void> {
    const deadline = this.#runtime.clock() + this.#waitMs[priority];
    for (;;) {
      const wait = await this.#tryTake(route, priority);
      if (wait === 0) return;
      if (this.#runtime.clock() + wait > deadline) {
        throw new RewindError(
          'rate_limited',
          "Rewind's share of the Neon API's request budget is used up for now",
          {
            details: { retryAfter: Math.max(1, Math.ceil(wait / 1000)), priority },
          },
        );
      }
      await this.#runtime.sleep(wait);
    }
  }

  /** 0 when both buckets gave a token, else how long to wait (ms). */
  async #tryTake(route: string, priority: RequestPriority): Promise<number> {
    const share = RESERVE[priority];
    const routeRule = { ...this.#route, reserve: Math.floor(this.#route.capacity * share) };
    const byRoute = await this.#store.takeTokens(`route:${route}`, 1, routeRule);
    if (!byRoute.granted) return Math.max(1, byRoute.waitMs);
    const accountRule = { ...this.#account, reserve: Math.floor(this.#account.capacity * share) };
    const byAccount = await this.#store.takeTokens('account', 1, accountRule);
    if (byAccount.granted) return 0;
    // The route's token is given back: only a request that goes out spends budget.
    await this.#store.takeTokens(`route:${route}`, -1, { ...routeRule, reserve: -routeRule.capacity });
    return Math.max(1, byAccount.waitMs);
  }
}
