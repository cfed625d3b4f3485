import type { RestoreStreamHandlers } from '@rewind/client';
import {
  type RestoreEvent,
  type RestoreOperationData,
  type RestorePhase,
  RewindError,
} from '@rewind/protocol';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useRewind } from '../provider';
import { versionsKey } from './use-versions';

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
  /** True when this hook follows a restore another tab or user started. */
  attached: boolean;
}

export interface UseRestoreOptions {
  onRestored?: (event: { versionId: string; undoVersionId: string | null }) => void;
  onError?: (error: RewindError) => void;
  /** Called when a restore ends for this hook: with its error, or `disconnected` if we gave up following. */
  onSettled?: (event: { error: RewindError | null; disconnected: boolean }) => void;
  /** Resume a restore that was running when the page was reloaded (default true). */
  resume?: boolean;
}

/**
 * Progress after "finalized" (the undo point, the cleanup) never takes "Restored" back, and never
 * closes the confirmation of the next restore the user opened meanwhile.
 */
const stillRunning = (s: RestoreState): RestoreStatus =>
  s.status === 'succeeded' || s.status === 'confirming' ? s.status : 'running';

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

function parseSaved(raw: string | null): Saved | null {
  if (!raw) return null;
  try {
    const saved = JSON.parse(raw) as Saved;
    return typeof saved === 'object' && saved !== null ? saved : null;
  } catch {
    return null;
  }
}

// The marker is read once, at mount; nothing notifies of changes to it.
const subscribeNever = () => () => undefined;

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

/**
 * Restore a version with live progress. Two status axes (restore and connection), automatic
 * reconnection with `Last-Event-ID`, attach to a restore that is already running, resume after a
 * reload. Unmounting or `disconnect()` closes the stream; it never cancels the restore.
 */
export function useRestore(options: UseRestoreOptions = {}) {
  const { client, scope } = useRewind();
  const queryClient = useQueryClient();
  const [state, setState] = useState<RestoreState>(INITIAL);
  const controller = useRef<AbortController | null>(null);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const storageKey = `rewind:restore:${scope}`;
  // A restore being resumed after a reload shows from the first paint, in its last known phase
  // ("reconnecting"), not once the stream's first event arrives. Read through
  // useSyncExternalStore so server rendering (no sessionStorage) hydrates without a mismatch.
  const marker = useSyncExternalStore(
    subscribeNever,
    () => (options.resume === false ? null : (storage()?.getItem(storageKey) ?? null)),
    () => null,
  );
  const acted = useRef(false);

  const update = useCallback(
    (patch: Partial<RestoreState> | ((s: RestoreState) => Partial<RestoreState>)) => {
      setState((current) => ({ ...current, ...(typeof patch === 'function' ? patch(current) : patch) }));
    },
    [],
  );

  const follow = useCallback(
    async (
      open: (handlers: RestoreStreamHandlers) => Promise<RestoreEvent | null>,
      initial: {
        versionId: string | null;
        attached: boolean;
        token?: string;
        lastEventId?: number;
        phase?: RestorePhase | null;
        progress?: number;
      },
    ) => {
      controller.current?.abort();
      acted.current = true;
      const abort = new AbortController();
      controller.current = abort;
      let token = initial.token ?? null;
      let lastEventId = initial.lastEventId ?? 0;
      let versionId = initial.versionId;
      let phase: RestorePhase | null = initial.phase ?? null;
      let progress = initial.progress ?? 0;
      const save = () => {
        const saved: Saved = { token, lastEventId, versionId, savedAt: Date.now(), phase, progress };
        storage()?.setItem(storageKey, JSON.stringify(saved));
      };
      // Remember the restore before its first byte arrives, so a reload right away still finds it.
      save();
      const handlers: RestoreStreamHandlers = {
        signal: abort.signal,
        onToken: (value) => {
          if (abort.signal.aborted) return;
          token = value;
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
          save();
          switch (event.event) {
            case 'restore.started':
              versionId = event.data.versionId;
              update({ status: 'running', connection: 'open', versionId, phase: null });
              break;
            case 'restore.progress':
              update((s) => ({
                status: stillRunning(s),
                connection: 'open',
                phase: event.data.phase,
                progress: Math.max(s.progress, event.data.progress),
              }));
              break;
            case 'restore.operation':
              update((s) => ({
                status: stillRunning(s),
                connection: 'open',
                phase: event.data.phase,
                operations: [
                  ...s.operations.filter((op) => op.operationId !== event.data.operationId),
                  event.data,
                ],
              }));
              break;
            case 'restore.finalized':
              // The data is back and recorded: what the user waits for. The undo point and the
              // cleanup follow on the same stream (an older server sends the undo point here).
              update((s) => ({
                status: 'succeeded',
                connection: 'open',
                progress: 1,
                versionId: event.data.versionId,
                undoVersionId: event.data.undoVersionId ?? s.undoVersionId,
              }));
              void queryClient.invalidateQueries({ queryKey: versionsKey(scope) });
              break;
            case 'restore.undo-available':
              update({ connection: 'open', undoVersionId: event.data.undoVersionId });
              break;
            case 'restore.succeeded':
              update((s) =>
                s.status === 'confirming'
                  ? { undoVersionId: event.data.undoVersionId }
                  : {
                      status: 'succeeded',
                      progress: 1,
                      undoVersionId: event.data.undoVersionId,
                      versionId: event.data.versionId,
                    },
              );
              break;
            case 'restore.failed':
              update({ status: 'failed', error: RewindError.fromJSON(event.data) });
              break;
            default:
              update({ connection: 'open' });
          }
        },
      };

      update({
        ...INITIAL,
        status: initial.attached ? 'running' : 'submitted',
        connection: 'connecting',
        ...initial,
      });
      let terminal: RestoreEvent | null = null;
      let failure: RewindError | null = null;
      let attempts = 0;
      let unauthorized = 0;
      try {
        terminal = await open(handlers);
        while (!terminal && token && !abort.signal.aborted && attempts < MAX_RECONNECTS) {
          // The stream dropped but the restore goes on: reconnect after a jittered backoff.
          update({ connection: 'reconnecting' });
          const delay = Math.random() * Math.min(5_000, 250 * 2 ** attempts++);
          await new Promise((resolve) => setTimeout(resolve, delay));
          if (abort.signal.aborted) break;
          const before = lastEventId;
          try {
            terminal = await client.follow(token, lastEventId, handlers);
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
        if (abort.signal.aborted) return;
        const rewindError = RewindError.is(error)
          ? error
          : new RewindError('internal', 'The restore stream failed');
        const running = rewindError.code === 'restore_in_progress' ? rewindError.details?.restore : undefined;
        if (
          running &&
          typeof running === 'object' &&
          'token' in running &&
          typeof running.token === 'string'
        ) {
          // Someone else's restore is running: follow it instead of failing.
          const other = running as { token: string; versionId: string };
          void follow((h) => client.follow(other.token, 0, h), {
            versionId: other.versionId,
            attached: true,
            token: other.token,
          });
          return;
        }
        failure = rewindError;
        update({ status: 'failed', error: rewindError, connection: 'closed' });
        // No answer at all (offline, or the page unloading mid-request): keep the resume marker,
        // the restore may be running; the next mount looks for it.
        if (rewindError.details?.network === true) return;
      }
      if (abort.signal.aborted) return;
      update({ connection: 'closed' });
      storage()?.removeItem(storageKey);
      void queryClient.invalidateQueries({ queryKey: versionsKey(scope) });
      const callbacks = optionsRef.current;
      if (terminal?.event === 'restore.succeeded') {
        callbacks.onRestored?.({
          versionId: terminal.data.versionId,
          undoVersionId: terminal.data.undoVersionId,
        });
      } else if (terminal?.event === 'restore.failed') {
        failure = RewindError.fromJSON(terminal.data);
      }
      if (failure) callbacks.onError?.(failure);
      callbacks.onSettled?.({ error: failure, disconnected: !terminal && !failure });
    },
    [client, queryClient, scope, storageKey, update],
  );

  const start = useCallback(
    (versionId?: string, restoreOptions: { undoable?: boolean } = {}) => {
      const id = versionId ?? state.versionId;
      if (!id) throw new Error('useRestore().start needs a version id');
      return follow((h) => client.restore(id, restoreOptions, h), { versionId: id, attached: false });
    },
    [client, follow, state.versionId],
  );

  const attach = useCallback(
    (
      token: string,
      versionId: string | null = null,
      lastEventId = 0,
      last: { phase?: RestorePhase | null; progress?: number } = {},
    ) =>
      follow((h) => client.follow(token, lastEventId, h), {
        versionId,
        attached: true,
        token,
        lastEventId,
        ...last,
      }),
    [client, follow],
  );

  const undo = useCallback(
    () => follow((h) => client.undo(h), { versionId: state.undoVersionId, attached: false }),
    [client, follow, state.undoVersionId],
  );

  const promote = useCallback(
    (previewId: string, versionId: string) =>
      follow((h) => client.promotePreview(previewId, h), { versionId, attached: false }),
    [client, follow],
  );

  const confirm = useCallback(
    (versionId: string) => {
      acted.current = true;
      update({ ...INITIAL, status: 'confirming', versionId });
    },
    [update],
  );
  const cancel = useCallback(() => update((s) => (s.status === 'confirming' ? INITIAL : {})), [update]);
  const reset = useCallback(() => {
    acted.current = true;
    controller.current?.abort();
    setState(INITIAL);
  }, []);
  /** Stop following (the restore itself goes on). */
  const disconnect = useCallback(() => {
    controller.current?.abort();
    update({ connection: 'closed' });
  }, [update]);

  // Resume after a reload: the token and last event id are kept in sessionStorage. A restore
  // whose token never arrived (reloaded while it waited for the project lock) is found through
  // the versions list's `activeRestore` for a little while.
  useEffect(() => {
    if (options.resume === false) return;
    const raw = storage()?.getItem(storageKey);
    if (!raw) return;
    const saved = parseSaved(raw);
    if (!saved) {
      storage()?.removeItem(storageKey);
      return;
    }
    if (saved.token) {
      void attach(saved.token, saved.versionId, saved.lastEventId, {
        phase: saved.phase ?? null,
        progress: saved.progress ?? 0,
      });
      return;
    }
    let stopped = false;
    void (async () => {
      const deadline = Date.now() + 30_000;
      while (!stopped && Date.now() < deadline) {
        const list = await client.listVersions().catch(() => null);
        const active = list?.activeRestore;
        if (active && !stopped) {
          void attach(active.token, active.versionId);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (stopped) return;
      // Nothing to resume after all: stop showing the saved restore as running.
      storage()?.removeItem(storageKey);
      acted.current = true;
      setState({ ...INITIAL });
    })();
    return () => {
      stopped = true;
    };
  }, [attach, client, options.resume, storageKey]);

  useEffect(() => () => controller.current?.abort(), []);

  // Until this hook acts, a saved restore is shown as being resumed (the effect above attaches).
  const resumed = !acted.current && state.status === 'idle' ? parseSaved(marker) : null;
  const shown: RestoreState = resumed
    ? {
        ...INITIAL,
        status: 'running',
        connection: 'reconnecting',
        versionId: resumed.versionId,
        phase: resumed.phase ?? null,
        progress: resumed.progress ?? 0,
        attached: true,
      }
    : state;
  return { ...shown, confirm, cancel, start, attach, undo, promote, reset, disconnect };
}

export type UseRestoreResult = ReturnType<typeof useRestore>;
