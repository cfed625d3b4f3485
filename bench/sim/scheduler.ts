// The simulation's one clock and its event queue. Every wait in the simulated world (Rewind's
// timers, Neon's operations, network and store latency, clients' pauses) is an event here; the
// loop runs the earliest (ties in the order they were set), lets the promise chains it woke run
// to their next wait, and repeats. Nothing else moves time, so a seed replays exactly.

interface Event {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary min-heap on (at, seq). */
class Queue {
  readonly #items: Event[] = [];
  get size() {
    return this.#items.length;
  }
  push(event: Event) {
    const items = this.#items;
    items.push(event);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Event, items[parent] as Event)) break;
      [items[i], items[parent]] = [items[parent] as Event, items[i] as Event];
      i = parent;
    }
  }
  pop(): Event | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l] as Event, items[m] as Event)) m = l;
        if (r < items.length && before(items[r] as Event, items[m] as Event)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m] as Event, items[i] as Event];
        i = m;
      }
    }
    return top;
  }
}
const before = (a: Event, b: Event) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** One event-loop turn: every microtask the last event queued runs before it ends. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Scheduler {
  #now: number;
  #seq = 0;
  readonly #queue = new Queue();
  /** Events run so far. */
  steps = 0;

  constructor(start = Date.parse('2026-06-01T00:00:00Z')) {
    this.#now = start;
  }

  get now(): number {
    return this.#now;
  }

  /** Run `fn` after `ms` of virtual time unless cancelled first. */
  /** When set, every timer records where it was set (to find what makes two runs differ). */
  debug: string[] | undefined;

  timer(ms: number, fn: () => void): () => void {
    this.debug?.push(`${this.#now}+${ms} ${new Error().stack?.split('\n').slice(2, 6).join(' < ')}`);
    const event: Event = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#queue.push(event);
    return () => {
      event.cancelled = true;
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timer(ms, resolve));
  }

  /**
   * Run events until `done` settles. Throws when nothing is left to run but `done` is still
   * pending (a deadlock: something waits on a promise nothing will ever settle), or past
   * `maxVirtualMs`.
   */
  async run<T>(done: Promise<T>, maxVirtualMs: number): Promise<T> {
    let settled = false;
    done.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const limit = this.#now + maxVirtualMs;
    for (;;) {
      await turn();
      if (settled) return done;
      const next = this.#queue.pop();
      if (!next) throw new Error(`simulation stuck at +${this.#now}: nothing scheduled, the run not done`);
      if (next.cancelled) continue;
      if (next.at > limit) throw new Error(`simulation ran past ${maxVirtualMs} ms of virtual time`);
      this.#now = Math.max(this.#now, next.at);
      this.steps++;
      next.fn();
    }
  }
}

/**
 * What a process's SIGSTOP and SIGKILL do, for one simulated Rewind instance: everything that
 * would reach it (a timer firing, an answer from Neon or the store, a request) goes through its
 * gate. Paused, it is held until `resume`; dead, it is dropped, and the instance never runs again.
 */
export class Gate {
  state: 'running' | 'paused' | 'dead' = 'running';
  readonly #held: Array<() => void> = [];

  run(fn: () => void): void {
    if (this.state === 'running') fn();
    else if (this.state === 'paused') this.#held.push(fn);
  }

  /** `promise`'s outcome, delivered through the gate. */
  deliver<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => this.run(() => resolve(value)),
        (error) => this.run(() => reject(error)),
      );
    });
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    for (const fn of this.#held.splice(0)) fn();
  }

  kill(): void {
    this.state = 'dead';
    this.#held.length = 0;
  }
}
