import type { Runtime } from '../types';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A virtual clock with timers and a seeded random source, for tests and the simulation: time
 * moves only when `advance` (or `runUntilIdle`) moves it, timers fire in time order (ties in the
 * order they were set), and the same seed draws the same numbers.
 */
export class VirtualTime implements Runtime {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #state: number;

  constructor(options: { start?: number; seed?: number } = {}) {
    this.#now = options.start ?? Date.parse('2026-01-01T00:00:00Z');
    this.#state = (options.seed ?? 1) >>> 0 || 1;
  }

  readonly clock = (): number => this.#now;
  readonly elapsed = (): number => this.#now;

  readonly timer = (ms: number, fn: () => void): (() => void) => {
    const entry = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(entry);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== entry);
    };
  };

  readonly sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => this.timer(ms, resolve));

  /** mulberry32: small, fast, and good enough for jitter and ids. */
  readonly random = (): number => {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  readonly randomBytes = (length: number): Uint8Array =>
    Uint8Array.from({ length }, () => Math.floor(this.random() * 256));

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Move time forward by `ms`, firing every timer due on the way, in order. Between timers the
   * promise queue settles (`settle`, by default a few macrotask turns), so what a timer wakes
   * runs before the next one fires.
   */
  async advance(ms: number, settle: () => Promise<void> = flush): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(until);
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = until;
  }

  #nextDue(until: number) {
    let best: Timer | undefined;
    for (const t of this.#timers)
      if (t.at <= until && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    if (best) this.#timers = this.#timers.filter((t) => t !== best);
    return best;
  }
}

/** Let promise chains that do real (in-memory) work settle: a few turns of the event loop. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
