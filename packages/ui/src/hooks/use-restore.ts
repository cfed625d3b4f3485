import type { RestorePhase } from '@rewind/protocol';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useRewind } from '../provider';
import { INITIAL, type RestoreCallbacks, type RestoreState, type SessionSnapshot } from '../restore-session';

export {
  type ConnectionStatus,
  INITIAL,
  type RestoreState,
  type RestoreStatus,
} from '../restore-session';

export interface UseRestoreOptions extends RestoreCallbacks {
  /**
   * Pick up a restore that was running when the page was reloaded, and show a restore nobody on
   * the page has claimed yet (default true). `false` for secondary controls: they still know a
   * restore runs, and show the ones they start.
   */
  resume?: boolean;
}

const SERVER: SessionSnapshot = { ...INITIAL, owner: null };
const serverSnapshot = () => SERVER;

/**
 * Restore a version with live progress. Two status axes (restore and connection), automatic
 * reconnection with `Last-Event-ID`, attach to a restore that is already running, resume after a
 * reload. Every component of a provider shares the project's one restore (one stream); only the
 * confirmation is this component's own. `disconnect()` closes the stream; nothing cancels the restore.
 */
export function useRestore(options: UseRestoreOptions = {}) {
  const { restore: session } = useRewind();
  // Server rendering (no sessionStorage) hydrates from the initial state, without a mismatch;
  // in the browser the first render already shows a restore being resumed.
  const shared = useSyncExternalStore(session.subscribe, session.getSnapshot, serverSnapshot);
  // The version this component asks the user to confirm: its own dialog, nobody else's.
  const [confirming, setConfirming] = useState<string | null>(null);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  // This component's identity to the session: the one that shows a restore it started.
  const [me] = useState(() => ({}));

  useEffect(
    () =>
      session.listen({
        onRestored: (event) => optionsRef.current.onRestored?.(event),
        onError: (error) => optionsRef.current.onError?.(error),
        onSettled: (event) => optionsRef.current.onSettled?.(event),
      }),
    [session],
  );
  useEffect(() => (options.resume === false ? undefined : session.resume(me)), [session, options.resume, me]);

  const start = useCallback(
    (versionId?: string, restoreOptions: { undoable?: boolean } = {}) => {
      const id = versionId ?? confirming ?? shared.versionId;
      if (!id) throw new Error('useRestore().start needs a version id');
      setConfirming(null);
      return session.start(id, restoreOptions, me);
    },
    [session, confirming, shared.versionId, me],
  );
  const attach = useCallback(
    (
      token: string,
      versionId: string | null = null,
      lastEventId = 0,
      last: { phase?: RestorePhase | null; progress?: number } = {},
    ) => session.attach(token, versionId, lastEventId, last, me),
    [session, me],
  );
  const undo = useCallback(() => {
    setConfirming(null);
    return session.undo(me);
  }, [session, me]);
  const promote = useCallback(
    (previewId: string, versionId: string) => session.promote(previewId, versionId, me),
    [session, me],
  );
  const confirm = useCallback((versionId: string) => setConfirming(versionId), []);
  const cancel = useCallback(() => setConfirming(null), []);
  const reset = useCallback(() => {
    setConfirming(null);
    session.reset();
  }, [session]);
  const disconnect = useCallback(() => session.disconnect(), [session]);

  const { owner, ...restore } = shared;
  // An unclaimed restore is the resume marker's (a reload's): a component that does not resume
  // does not know of it until one that does picks it up.
  const shown: RestoreState =
    confirming !== null
      ? { ...INITIAL, status: 'confirming', versionId: confirming, undoVersionId: restore.undoVersionId }
      : owner === null && options.resume === false
        ? INITIAL
        : restore;
  // Whether this component shows the restore's progress and outcome (one place on the page).
  const presenting = confirming !== null || owner === me || (owner === null && options.resume !== false);
  return { ...shown, presenting, confirm, cancel, start, attach, undo, promote, reset, disconnect };
}

export type UseRestoreResult = ReturnType<typeof useRestore>;
