import type { RestoreStreamHandlers, RewindClient } from '@rewind/client';
import {
  type RestoreEvent,
  type RestoreOperationData,
  type RestorePhase,
  RewindError,
} from '@rewind/protocol';
import { browserTime, type SessionTime } from './session-time';

/** Where the restore is. Kept apart from the connection: a dropped stream is not a failure. */
export type RestoreStatus = 'idle' | 'confirming' | 'submitted' | 'running' | 'succeeded' | 'failed';
/** The stream to the server. `closed` before and after a restore. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RestoreState {
  status: RestoreStatus;
  connection: ConnectionStatus;
  /** The version being (or last) restored, or chosen while confirming. */
  versionId: string | null;
  phase: RestorePhase | null;
  /** 0..1 over the whole restore, from the server's real phases. */
  progress: number;
  /** The Neon operations seen so far, latest status each. */
  operations: RestoreOperationData[];
  error: RewindError | null;
  /** The automatic version taken before this restore: what Undo restores. */
  undoVersionId: string | null;
  /** True when this page follows a restore another tab or user started, or one resumed after a reload. */
  attached: boolean;
}

/** Where every restore starts, and where `reset()` returns. */
export const INITIAL: RestoreState = {
  status: 'idle',
  connection: 'closed',
  versionId: null,
  phase: null,
  progress: 0,
  operations: [],
  error: null,
  undoVersionId: null,
  attached: false,
};

/** The session's state: the restore's, plus which component shows it (`owner`). */
export interface SessionSnapshot extends RestoreState {
  /**
   * The component that started the restore, or first picked it up (attached, resumed): it shows
   * the progress and outcome; the others only know a restore runs. Null: nobody claimed it yet
   * (the first paint after a reload), so every component shows it.
   */
  owner: object | null;
}

/** What components attached to the session hear when a restore ends. */
export interface RestoreCallbacks {
  onRestored?: (event: { versionId: string; undoVersionId: string | null }) => void;
  onError?: (error: RewindError) => void;
  /** A restore ended for this page: with its error, or `disconnected` if it gave up following. */
  onSettled?: (event: { error: RewindError | null; disconnected: boolean }) => void;
}

// Progress after "finalized" (the undo point, the cleanup) never takes "Restored" back.
const stillRunning = (s: RestoreState): RestoreStatus => (s.status === 'succeeded' ? s.status : 'running');

/** The pure event reducer: the state after one event of the restore's stream. */
export function reduceRestore(s: RestoreState, event: RestoreEvent): RestoreState {
  switch (event.event) {
    case 'restore.started':
      return { ...s, status: 'running', connection: 'open', versionId: event.data.versionId, phase: null };
    case 'restore.progress':
      return {
        ...s,
        status: stillRunning(s),
        connection: 'open',
        phase: event.data.phase,
        progress: Math.max(s.progress, event.data.progress),
      };
    case 'restore.operation':
      return {
        ...s,
        status: stillRunning(s),
        connection: 'open',
        phase: event.data.phase,
        operations: [...s.operations.filter((op) => op.operationId !== event.data.operationId), event.data],
      };
    case 'restore.finalized':
      // The data is back and recorded: what the user waits for. The undo point and the cleanup
      // follow on the same stream (an older server sends the undo point here).
      return {
        ...s,
        status: 'succeeded',
        connection: 'open',
        progress: 1,
        versionId: event.data.versionId,
        undoVersionId: event.data.undoVersionId ?? s.undoVersionId,
      };
    case 'restore.undo-available':
      return { ...s, connection: 'open', undoVersionId: event.data.undoVersionId };
    case 'restore.succeeded':
      return {
        ...s,
        status: 'succeeded',
        progress: 1,
        undoVersionId: event.data.undoVersionId,
        versionId: event.data.versionId,
      };
    case 'restore.failed':
      return { ...s, status: 'failed', error: RewindError.fromJSON(event.data) };
    default:
      return { ...s, connection: 'open' };
  }
}

const MAX_RECONNECTS = 20;
/** A 401 during a reconnect is retried this many times in a row (a token refresh in flight). */
const MAX_UNAUTHORIZED = 3;

/**
 * Whether a failed reconnect is worth another try: the restore goes on server-side whatever
 * happens to this connection. Retried: no answer, a 5xx (a proxy's error page during a deploy,
 * Neon briefly unavailable), rate limits, and a 401 a few times (each retry calls `headers()`
 * again, so a refreshed token is picked up). Final: the server says the token is bad or the
 * restore does not exist, or keeps refusing the caller.
 */
function keepsFollowing(error: RewindError, unauthorizedInARow: number): boolean {
  if (error.code === 'invalid_token' || error.code === 'not_found' || error.code === 'forbidden')
    return false;
  if (error.code === 'unauthorized') return unauthorizedInARow <= MAX_UNAUTHORIZED;
  if (error.details?.network === true) return true;
  const status = typeof error.details?.httpStatus === 'number' ? error.details.httpStatus : error.status;
  return status >= 500 || error.code === 'rate_limited' || error.code === 'neon_unavailable';
}

interface Saved {
  /** Null between the request and its first byte: the restore may be queued behind a lock. */
  token: string | null;
  lastEventId: number;
  versionId: string | null;
  savedAt?: number;
  /** The last phase and progress seen: what the page shows at once after a reload. */
  phase?: RestorePhase | null;
  progress?: number;
}

function parseSaved(raw: string | null | undefined): Saved | null {
  if (!raw) return null;
  try {
    const saved = JSON.parse(raw) as Saved;
    return typeof saved === 'object' && saved !== null ? saved : null;
  } catch {
    return null;
  }
}

export interface RestoreSessionOptions {
  /** Where the resume marker lives (sessionStorage in browsers; none on a server). */
  storage?: Storage | undefined;
  storageKey: string;
  /**
   * Called when the project's versions changed (a restore was recorded or ended). When it returns
   * a promise (the refetch), "Restored" waits for it, up to `outcomeWaitMs`, so the outcome and
   * the timeline's current version change in one render, never "Restored v1" beside v2 current.
   */
  onVersionsChanged?: () => unknown;
  /** How long "Restored" may wait for the refetch (default 10 s; only a hung refetch waits it out). */
  outcomeWaitMs?: number;
  /** Clock, timers and jitter (default: the browser's); tests pass virtual ones. */
  time?: Partial<SessionTime>;
}

/**
 * The restore of one project on one page, with no React in it (after vercel/ai's
 * `AbstractChat`): one stream however many components show it, a pure reducer over its events,
 * reconnection with `Last-Event-ID`, and the resume marker that brings a restore back after a
 * reload. Components read it through `useSyncExternalStore`; the provider owns it.
 */
export class RestoreSession {
  #state: SessionSnapshot;
  readonly #listeners = new Set<() => void>();
  readonly #callbacks = new Set<RestoreCallbacks>();
  readonly #options: RestoreSessionOptions;
  readonly #time: SessionTime;
  #controller: AbortController | null = null;
  #resumed = false;
  /** The token being followed, so attaching to it again opens no second stream. */
  #following: string | null = null;
  client: RewindClient;

  constructor(client: RewindClient, options: RestoreSessionOptions) {
    this.client = client;
    this.#options = options;
    this.#time = { ...browserTime, ...options.time };
    // A restore being resumed after a reload shows from the first paint, in its last known
    // phase ("reconnecting"), not once the stream's first event arrives.
    const saved = parseSaved(options.storage?.getItem(options.storageKey));
    this.#state = saved
      ? {
          ...INITIAL,
          status: 'running',
          connection: 'reconnecting',
          versionId: saved.versionId,
          phase: saved.phase ?? null,
          progress: saved.progress ?? 0,
          attached: true,
          owner: null,
        }
      : { ...INITIAL, owner: null };
  }

  getSnapshot = (): SessionSnapshot => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Hear how restores end; returns the way to stop hearing. */
  listen(callbacks: RestoreCallbacks): () => void {
    this.#callbacks.add(callbacks);
    return () => this.#callbacks.delete(callbacks);
  }

  #set(next: SessionSnapshot) {
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener();
  }

  #patch(patch: Partial<RestoreState>) {
    this.#set({ ...this.#state, ...patch });
  }

  /** The versions refetched (the restore is recorded by now), or given up on after a bound. */
  async #refreshVersions(): Promise<void> {
    let cancel = () => {};
    const bound = new Promise<void>((resolve) => {
      cancel = this.#time.timer(this.#options.outcomeWaitMs ?? 10_000, resolve);
    });
    try {
      await Promise.race([
        Promise.resolve(this.#options.onVersionsChanged?.()).catch(() => undefined),
        bound,
      ]);
    } finally {
      cancel();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#time.timer(ms, resolve));
  }

  get #busy() {
    return this.#state.status === 'submitted' || this.#state.status === 'running';
  }

  start(versionId: string, options: { undoable?: boolean } = {}, owner: object | null = null): Promise<void> {
    return this.#follow((h) => this.client.restore(versionId, options, h), {
      versionId,
      attached: false,
      owner,
    });
  }

  undo(owner: object | null = null): Promise<void> {
    return this.#follow((h) => this.client.undo(h), {
      versionId: this.#state.undoVersionId,
      attached: false,
      owner,
    });
  }

  promote(previewId: string, versionId: string, owner: object | null = null): Promise<void> {
    return this.#follow((h) => this.client.promotePreview(previewId, h), {
      versionId,
      attached: false,
      owner,
    });
  }

  /** Follow a restore already running (another tab's, or one found after a reload). */
  attach(
    token: string,
    versionId: string | null = null,
    lastEventId = 0,
    last: { phase?: RestorePhase | null; progress?: number } = {},
    owner: object | null = null,
  ): Promise<void> {
    if (this.#following === token && this.#busy && this.#state.connection !== 'closed')
      return Promise.resolve();
    return this.#follow((h) => this.client.follow(token, lastEventId, h), {
      versionId,
      attached: true,
      token,
      lastEventId,
      owner,
      ...last,
    });
  }

  /** Forget the last restore (its outcome, its Undo); stop following. */
  reset(): void {
    this.#controller?.abort();
    this.#following = null;
    this.#set({ ...INITIAL, owner: null });
  }

  /** Stop following (the restore itself goes on). */
  disconnect(): void {
    this.#controller?.abort();
    this.#following = null;
    this.#patch({ connection: 'closed' });
  }

  /**
   * The provider went away: stop following, and let a provider mounted again (React's StrictMode
   * remounts) resume from the marker, which an interrupted stream keeps.
   */
  close(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.#following = null;
    this.#resumed = false;
  }

  /**
   * Pick up the restore a reload interrupted, once per session: the token and last event id are
   * kept in the resume marker. A restore whose token never arrived (reloaded while it waited for
   * the project lock) is found through the versions list's `activeRestore` for a little while.
   */
  resume(owner: object | null = null): () => void {
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    if (this.#resumed) return stop;
    this.#resumed = true;
    const { storage, storageKey } = this.#options;
    const raw = storage?.getItem(storageKey);
    if (!raw) return stop;
    const saved = parseSaved(raw);
    if (!saved) {
      storage?.removeItem(storageKey);
      this.#set({ ...INITIAL, owner: null });
      return stop;
    }
    if (saved.token) {
      void this.attach(
        saved.token,
        saved.versionId,
        saved.lastEventId,
        { phase: saved.phase ?? null, progress: saved.progress ?? 0 },
        owner,
      );
      return stop;
    }
    // Shown by the component that looks for it.
    this.#set({ ...this.#state, owner });
    void (async () => {
      const deadline = this.#time.now() + 30_000;
      while (!stopped && this.#time.now() < deadline) {
        const list = await this.client.listVersions().catch(() => null);
        const active = list?.activeRestore;
        if (active && !stopped) {
          void this.attach(active.token, active.versionId, 0, {}, owner);
          return;
        }
        await this.#sleep(500);
      }
      if (stopped) {
        // Unmounted before it was found: the next mount may look again.
        this.#resumed = false;
        return;
      }
      // Nothing to resume after all: stop showing the saved restore as running.
      storage?.removeItem(storageKey);
      if (!this.#controller) this.#set({ ...INITIAL, owner: null });
    })();
    return stop;
  }

  async #follow(
    open: (handlers: RestoreStreamHandlers) => Promise<RestoreEvent | null>,
    initial: {
      versionId: string | null;
      attached: boolean;
      token?: string;
      lastEventId?: number;
      phase?: RestorePhase | null;
      progress?: number;
      owner: object | null;
    },
  ): Promise<void> {
    this.#controller?.abort();
    this.#resumed = true;
    const abort = new AbortController();
    this.#controller = abort;
    const { storage, storageKey } = this.#options;
    let token = initial.token ?? null;
    this.#following = token;
    let lastEventId = initial.lastEventId ?? 0;
    let versionId = initial.versionId;
    let phase: RestorePhase | null = initial.phase ?? null;
    let progress = initial.progress ?? 0;
    const save = () => {
      const saved: Saved = { token, lastEventId, versionId, savedAt: this.#time.now(), phase, progress };
      storage?.setItem(storageKey, JSON.stringify(saved));
    };
    // Remember the restore before its first byte arrives, so a reload right away still finds it.
    save();
    const handlers: RestoreStreamHandlers = {
      signal: abort.signal,
      onToken: (value) => {
        if (abort.signal.aborted) return;
        token = value;
        this.#following = value;
        save();
      },
      onEvent: (event) => {
        // A stream that ignores the abort (a polyfilled fetch) must not write after it.
        if (abort.signal.aborted) return;
        lastEventId = Math.max(lastEventId, event.id);
        if (event.event === 'restore.progress') {
          phase = event.data.phase;
          progress = Math.max(progress, event.data.progress);
        } else if (event.event === 'restore.operation') phase = event.data.phase;
        if (event.event === 'restore.started') versionId = event.data.versionId;
        save();
        // In order, one at a time: an outcome waits for the refetch, and later events wait behind it.
        applied = applied
          .then(async () => {
            if (abort.signal.aborted) return;
            const outcome =
              this.#state.status !== 'succeeded' && reduceRestore(this.#state, event).status === 'succeeded';
            if (outcome) await this.#refreshVersions();
            if (abort.signal.aborted) return;
            this.#set({ ...reduceRestore(this.#state, event), owner: this.#state.owner });
          })
          .catch(() => undefined);
      },
    };
    let applied: Promise<void> = Promise.resolve();

    this.#set({
      ...INITIAL,
      status: initial.attached ? 'running' : 'submitted',
      connection: 'connecting',
      versionId: initial.versionId,
      attached: initial.attached,
      phase: initial.phase ?? null,
      progress: initial.progress ?? 0,
      owner: initial.owner,
    });
    let terminal: RestoreEvent | null = null;
    let failure: RewindError | null = null;
    let attempts = 0;
    let unauthorized = 0;
    try {
      terminal = await open(handlers);
      await applied;
      while (!terminal && token && !abort.signal.aborted && attempts < MAX_RECONNECTS) {
        // The stream dropped but the restore goes on: reconnect after a jittered backoff.
        this.#patch({ connection: 'reconnecting' });
        const delay = this.#time.random() * Math.min(5_000, 250 * 2 ** attempts++);
        await this.#sleep(delay);
        if (abort.signal.aborted) break;
        const before = lastEventId;
        try {
          terminal = await this.client.follow(token, lastEventId, handlers);
          await applied;
          unauthorized = 0;
        } catch (error) {
          if (!RewindError.is(error)) throw error;
          unauthorized = error.code === 'unauthorized' ? unauthorized + 1 : 0;
          if (!keepsFollowing(error, unauthorized)) throw error;
        }
        // Progress resets the budget: only a restore that stays unreachable gives up.
        if (lastEventId > before) attempts = 0;
      }
    } catch (error) {
      await applied;
      if (abort.signal.aborted) return;
      const rewindError = RewindError.is(error)
        ? error
        : new RewindError('internal', 'The restore stream failed');
      const running = rewindError.code === 'restore_in_progress' ? rewindError.details?.restore : undefined;
      if (running && typeof running === 'object' && 'token' in running && typeof running.token === 'string') {
        // Someone else's restore is running: follow it instead of failing.
        const other = running as { token: string; versionId: string };
        void this.attach(other.token, other.versionId, 0, {}, initial.owner);
        return;
      }
      failure = rewindError;
      this.#patch({ status: 'failed', error: rewindError, connection: 'closed' });
      // No answer at all (offline, or the page unloading mid-request): keep the resume marker,
      // the restore may be running; the next mount looks for it.
      if (rewindError.details?.network === true) return;
    }
    if (abort.signal.aborted) return;
    this.#following = null;
    this.#patch({ connection: 'closed' });
    storage?.removeItem(storageKey);
    this.#options.onVersionsChanged?.();
    if (terminal?.event === 'restore.failed') failure = RewindError.fromJSON(terminal.data);
    for (const callbacks of [...this.#callbacks]) {
      if (terminal?.event === 'restore.succeeded') {
        callbacks.onRestored?.({
          versionId: terminal.data.versionId,
          undoVersionId: terminal.data.undoVersionId,
        });
      }
      if (failure) callbacks.onError?.(failure);
      callbacks.onSettled?.({ error: failure, disconnected: !terminal && !failure });
    }
  }
}
