/**
 * Time and chance as the emulator sees them. Nothing else in the engine reads a clock, starts a
 * timer or draws a random number, so a simulation (bench/sim) can run the emulator on a virtual
 * clock and a seed, and every operation then ends in an order the seed decides.
 */
export interface EmulatorRuntime {
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** Run `fn` once after `ms` unless cancelled first; never keeps a process alive. */
  timer: (ms: number, fn: () => void) => () => void;
  /** Uniform in [0, 1): ids, loopback addresses, which background operation runs. */
  random: () => number;
}

/** The real clock, timers and randomness (the engine's only use of them). */
export const systemRuntime: EmulatorRuntime = {
  now: () => Date.now(),
  timer: (ms, fn) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return () => clearTimeout(handle);
  },
  random: () => Math.random(),
};

/** Resolves after `ms` on the runtime's clock. */
export function sleepOn(runtime: EmulatorRuntime, ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => runtime.timer(ms, resolve));
}

/** Call `fn` every `ms` until the returned function is called. */
export function everyOn(runtime: EmulatorRuntime, ms: number, fn: () => void): () => void {
  let cancel = runtime.timer(ms, tick);
  function tick() {
    cancel = runtime.timer(ms, tick);
    fn();
  }
  return () => cancel();
}
