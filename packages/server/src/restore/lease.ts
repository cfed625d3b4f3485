import { RewindError } from '@rewind/protocol';
import type { Fence, RewindStore } from '../stores/store';
import type { Runtime } from '../types';

/**
 * A held project lock, renewed in the background. The store judges expiry by its own clock; the
 * holder only counts elapsed time on its own monotonic clock from when it *sent* the last
 * successful renewal, so a clock offset cannot make it think it has more lease than it has. A
 * pause (GC, SIGSTOP) is not seen while it lasts: that is what `guard` is for, and why recovery
 * waits a lease plus a request bound before concluding that a call never landed.
 */
export class Lease {
  #renewedAt: number;
  #cancel: (() => void) | undefined;
  #stopped = false;
  #lost = false;

  constructor(
    private readonly store: RewindStore,
    readonly projectId: string,
    readonly fence: Fence,
    readonly ttlMs: number,
    /** When the acquiring request was sent (ms, on the runtime's `elapsed` clock). */
    acquiredAt: number,
    private readonly runtime: Pick<Runtime, 'elapsed' | 'timer'>,
  ) {
    this.#renewedAt = acquiredAt;
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Lease left for certain (ms). */
  remaining(): number {
    return this.#lost ? 0 : this.ttlMs - (this.runtime.elapsed() - this.#renewedAt);
  }

  /** Renew every third of the lease until stopped (each renewal schedules the next). */
  start(): this {
    const every = Math.max(50, this.ttlMs / 3);
    const tick = () => {
      this.#cancel = this.runtime.timer(every, () => {
        if (this.#stopped) return;
        tick();
        void this.renew();
      });
    };
    tick();
    return this;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
  }

  /** Renew now; false once the store says the lease is gone (a store error leaves it as it was). */
  async renew(): Promise<boolean> {
    if (this.#lost) return false;
    const sentAt = this.runtime.elapsed();
    try {
      if (await this.store.renewLock(this.projectId, this.fence, this.ttlMs)) {
        this.#renewedAt = Math.max(this.#renewedAt, sentAt);
        return true;
      }
      this.#lost = true;
      this.stop();
      return false;
    } catch {
      return this.remaining() > 0;
    }
  }

  /**
   * A check to run before each attempt of a mutating Neon call: it passes only with at least
   * `needMs` of lease left (renewing first if needed), so a call is never started that could
   * still be running when the lease runs out.
   */
  guard(needMs: number): () => Promise<void> {
    return async () => {
      if (this.remaining() < needMs) await this.renew();
      if (this.remaining() < needMs)
        throw new RewindError('lease_lost', 'Too little lease left to start a Neon call');
    };
  }

  /** Throws `lease_lost` once the store has refused a renewal. */
  assert(): void {
    if (this.#lost) throw new RewindError('lease_lost', 'This lease of the project was lost');
  }
}
