import { type UseRestoreOptions, useRestore } from './use-restore';

/** Undo the last restore of the project (restores the automatic version taken before it). */
export function useUndoRestore(options: UseRestoreOptions = {}) {
  const restore = useRestore({ ...options, resume: false });
  return { ...restore, run: restore.undo };
}
