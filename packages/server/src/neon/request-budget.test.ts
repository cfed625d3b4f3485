import { RewindError } from '@rewind/protocol';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../stores/memory-store';
import { RequestBudget, type RequestPriority } from './request-budget';

// Virtual time for one caller at a time: a wait moves the clock that the store refills by.
function virtualTime() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return {
    store: memoryStore({ now: () => now }),
    runtime: {
      clock: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    },
  };
}

async function drain(budget: RequestBudget, priority: RequestPriority, route = 'r') {
  let granted = 0;
  for (;;) {
    try {
      await budget.take(route, priority);
      granted++;
    } catch (error) {
      expect(RewindError.is(error) && error.code).toBe('rate_limited');
      return { granted, error: error as RewindError };
    }
  }
}

describe('RequestBudget', () => {
  it('serves a running restore first, user actions next, background work last', async () => {
    // 200 a minute: a bucket of 10; background leaves 5, user actions leave 1.
    const { store, runtime } = virtualTime();
    const budget = new RequestBudget(
      store,
      { perMinute: 200, perSecondPerRoute: 1_000, userWaitMs: 0, backgroundWaitMs: 0 },
      runtime,
    );
    const background = await drain(budget, 'background');
    expect(background.granted).toBe(5);
    expect(background.error.details).toMatchObject({ priority: 'background' });
    const user = await drain(budget, 'user');
    expect(user.granted).toBe(4);
    expect(user.error.details?.retryAfter).toBeGreaterThanOrEqual(1);
    // The last token is the restore's; then it waits for the refill rather than fail.
    await budget.take('r', 'restore');
    await budget.take('r', 'restore');
  });

  it("waits longer for a version's creation than for other user actions, from the same share", async () => {
    // 120 a minute: a bucket of 6, refilled at 1.9 a second; user actions leave 0 of it here.
    const { store, runtime } = virtualTime();
    const budget = new RequestBudget(
      store,
      { perMinute: 120, perSecondPerRoute: 1_000, userWaitMs: 0, saveWaitMs: 3_000 },
      runtime,
    );
    const user = await drain(budget, 'user');
    expect(user.granted).toBeGreaterThan(0);
    // The bucket is as empty as a user action may make it: another one is refused at once, a
    // save waits for the refill instead and goes through.
    await expect(budget.take('r', 'user')).rejects.toMatchObject({ code: 'rate_limited' });
    await budget.take('r', 'save');
    // And past its own wait it answers rate_limited too, with the priority named.
    const saves = await drain(
      new RequestBudget(
        store,
        { perMinute: 120, perSecondPerRoute: 1_000, saveWaitMs: 0 },
        virtualTime().runtime,
      ),
      'save',
    );
    expect(saves.error.details).toMatchObject({ priority: 'save' });
  });

  it('limits each route on its own, and gives a route token back when the account has none', async () => {
    const { store, runtime } = virtualTime();
    const budget = new RequestBudget(
      store,
      { perMinute: 100_000, perSecondPerRoute: 8, userWaitMs: 0 },
      runtime,
    );
    const a = await drain(budget, 'user', 'list branches');
    // A bucket of 2 (8 a second: burst 2, refilled at 6/s), less a user's tenth (0): 2.
    expect(a.granted).toBe(2);
    // Another route has its own bucket.
    await budget.take('list snapshots', 'user');
    // An exhausted account bucket refuses without spending the route's token (a frozen clock:
    // nothing refills meanwhile).
    const frozen = memoryStore({ now: () => 1_000_000 });
    const tight = new RequestBudget(
      frozen,
      { perMinute: 20, perSecondPerRoute: 1_000, userWaitMs: 0 },
      runtime,
    );
    await tight.take('x', 'user');
    await expect(tight.take('x', 'user')).rejects.toMatchObject({ code: 'rate_limited' });
    // The route's bucket of 250 lost one token (the request that went out), not two.
    const rule = { capacity: 250, perSecond: 750 };
    expect((await frozen.takeTokens('route:x', 0, { ...rule, reserve: 249 })).granted).toBe(true);
    expect((await frozen.takeTokens('route:x', 0, { ...rule, reserve: 249.5 })).granted).toBe(false);
  });

  it('shares one budget between instances through the store', async () => {
    const { store, runtime } = virtualTime();
    const options = { perMinute: 200, perSecondPerRoute: 1_000, userWaitMs: 0 };
    const one = new RequestBudget(store, options, runtime);
    const two = new RequestBudget(store, options, runtime);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).take('r', 'user')),
    );
    // 10 tokens, a user's reserve of 1: 9 in all, whichever instance asked.
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
  });
});
