// The polling policy on a virtual clock (issue 23 point 7): how many polls a wait costs. Neon
// here is a script of operation timings: what is under test is when the watcher asks, and the
// emulator's real operations are followed by the restore suites.
import { describe, expect, it } from 'vitest';
import type { NeonClient, Operation } from '../neon/neon-client';
import { DurationModel, type PollSettings, watchOperations } from './operation-watcher';

const settings: PollSettings = { sparseMs: 1_000, denseMs: 150, deadlineMs: 300_000, failedGraceMs: 30_000 };

/** A project whose operations run one after another, each taking `durations[i]` ms. */
function scriptedNeon(durations: Array<[action: string, ms: number]>) {
  let now = 0;
  let polls = 0;
  const ends = durations.reduce<number[]>((acc, [, ms]) => [...acc, (acc.at(-1) ?? 0) + ms], []);
  const at = (i: number): Operation => {
    const [action, ms] = durations[i] as [string, number];
    const done = now >= (ends[i] as number);
    return {
      id: `op-${i}`,
      action,
      status: done ? 'finished' : 'running',
      total_duration_ms: done ? ms : 0,
      failures_count: 0,
    } as Operation;
  };
  const neon = {
    async listOperations() {
      polls++;
      return durations.map((_, i) => at(i));
    },
    async getOperation(_projectId: string, id: string) {
      polls++;
      return at(Number(id.slice(3)));
    },
  } as unknown as NeonClient;
  return {
    neon,
    initial: () => durations.map((_, i) => at(i)),
    polls: () => polls,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

const chain: Array<[string, number]> = [
  ['timeline_unarchive', 700],
  ['create_branch', 1_800],
  ['suspend_compute', 500],
];

async function wait(model: DurationModel, durations = chain) {
  const neon = scriptedNeon(durations);
  await watchOperations(neon.neon, 'p', neon.initial(), {
    settings,
    model,
    sleep: neon.sleep,
    now: neon.now,
  });
  return { polls: neon.polls(), seenAfterEndMs: neon.now() - durations.reduce((sum, [, ms]) => sum + ms, 0) };
}

describe('watchOperations', () => {
  it('costs one poll once the durations are learned and Neon runs to form', async () => {
    const model = new DurationModel();
    const first = await wait(model);
    expect(first.polls).toBeGreaterThan(1); // learning: no figure of its own yet
    const second = await wait(model);
    expect(second.polls).toBe(1);
    expect(second.seenAfterEndMs).toBeGreaterThanOrEqual(0);
    expect(second.seenAfterEndMs).toBeLessThanOrEqual(settings.denseMs);
  });

  it('backs off past an overrun, never sparser than sparseMs', async () => {
    const model = new DurationModel();
    await wait(model);
    // The same chain, its middle operation taking three times as long.
    const slow: Array<[string, number]> = chain.map(([action, ms]) =>
      action === 'create_branch' ? [action, ms * 3] : [action, ms],
    );
    const overrun = await wait(model, slow);
    expect(overrun.polls).toBeGreaterThan(1);
    // 3.6 s late: steps of a fifth of the operation, growing (7 polls here); a 150 ms poller takes 24.
    expect(overrun.polls).toBeLessThanOrEqual(8);
    expect(overrun.seenAfterEndMs).toBeLessThanOrEqual(settings.sparseMs);
  });

  it('sees an early finisher at the expected end, not before (the trade for fewer polls)', async () => {
    const model = new DurationModel();
    await wait(model);
    const fast: Array<[string, number]> = chain.map(([action, ms]) => [action, ms / 2]);
    const early = await wait(model, fast);
    expect(early.polls).toBe(1);
    // Seen once the learned chain (3 s) is over: 1.5 s after Neon's end, plus the margin.
    expect(early.seenAfterEndMs).toBeGreaterThanOrEqual(1_500);
    expect(early.seenAfterEndMs).toBeLessThanOrEqual(1_500 + settings.denseMs);
  });
});
