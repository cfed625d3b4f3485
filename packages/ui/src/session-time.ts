/**
 * Time and jitter as a `RestoreSession` uses them: injected so that tests (and a platform's own
 * harness) can run a session on virtual time. The defaults are the browser's.
 */
export interface SessionTime {
  now: () => number;
  /** Run `fn` once after `ms` unless cancelled first. */
  timer: (ms: number, fn: () => void) => () => void;
  /** Uniform in [0, 1): reconnection jitter. */
  random: () => number;
}

export const browserTime: SessionTime = {
  now: () => Date.now(),
  timer: (ms, fn) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
  random: () => Math.random(),
};
