import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RewindClient } from '@rewind/client';
import { describe, expect, it } from 'vitest';
import { RestoreSession } from './restore-session';
import type { SessionTime } from './session-time';
import { fakeFetch, restoreEvents, sseResponse } from './test/fake-api';

/** Timers that fire only when the test says so. */
function manualTime(random = 0.5) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const timers: { ms: number; fn: () => void }[] = [];
  const time: SessionTime = {
    now: () => now,
    timer: (ms, fn) => {
      const entry = { ms, fn };
      timers.push(entry);
      return () => timers.splice(timers.indexOf(entry) >>> 0, 1);
    },
    random: () => random,
  };
  return {
    time,
    timers,
    fire() {
      const next = timers.shift();
      if (!next) throw new Error('no timer set');
      now += next.ms;
      next.fn();
    },
  };
}

describe('RestoreSession on injected time', () => {
  it('reads no clock, timer or randomness of its own', () => {
    const source = readFileSync(join(import.meta.dirname, 'restore-session.ts'), 'utf8');
    expect(source).not.toMatch(/Date\.now|setTimeout|setInterval|Math\.random|new Date\(\)/);
  });

  it('reconnects a dropped stream after the jittered delay its clock gives, not before', async () => {
    const events = restoreEvents('v1', 'tok-1');
    let follows = 0;
    const { fetch } = fakeFetch({
      // The stream drops after two events; the restore goes on on the server.
      'POST /versions/v1/restore': () => sseResponse(events.slice(0, 2), { token: 'tok-1' }),
      'GET /restores/tok-1/events': () => {
        follows++;
        return sseResponse(events.slice(2));
      },
    });
    const clock = manualTime(0.5);
    const session = new RestoreSession(new RewindClient({ url: '/api/rewind', fetch }), {
      storageKey: 'rewind:test',
      time: clock.time,
      outcomeWaitMs: 1_000,
    });
    const done = session.start('v1');
    await expect.poll(() => clock.timers.length).toBe(1);
    // Full jitter: random 0.5 of the first backoff step (250 ms).
    expect(clock.timers[0]?.ms).toBe(125);
    expect(session.getSnapshot().connection).toBe('reconnecting');
    expect(follows).toBe(0);
    clock.fire();
    await done;
    expect(follows).toBe(1);
    expect(session.getSnapshot().status).toBe('succeeded');
    session.close();
  });
});
