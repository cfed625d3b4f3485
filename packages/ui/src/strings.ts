import type { RestorePhase, RewindErrorCode } from '@rewind/protocol';

/** Every string the kit shows. Override any of them through `RewindProvider`'s `strings`. */
export interface RewindStrings {
  timelineLabel: string;
  loading: string;
  empty: string;
  loadFailed: string;
  retry: string;
  current: string;
  expires: (relative: string) => string;
  forkedFrom: (label: string) => string;
  preRestore: string;
  restore: string;
  preview: string;
  rename: string;
  delete: string;
  renamePrompt: string;
  confirmTitle: (label: string) => string;
  confirmBody: string;
  diffLoading: string;
  diffNone: string;
  diffTable: (name: string, change: 'added' | 'removed' | 'changed') => string;
  /** One kind of item of a changed table ("columns", "constraints", "indexes"). */
  diffItems: (
    kind: 'columns' | 'constraints' | 'indexes',
    added: string[],
    removed: string[],
    changed: string[],
  ) => string;
  diffIncomplete: string;
  /** A version row's disclosure: what the version changed in the schema against its parent. */
  changesLabel: string;
  changesNone: string;
  changesUnknown: string;
  changeTable: (name: string, change: 'added' | 'removed' | 'changed') => string;
  /** The confirmation of a restore that cannot take an undo point (the snapshot quota is full). */
  notUndoable: string;
  cancel: string;
  confirmRestore: string;
  progressLabel: string;
  phase: Record<RestorePhase | 'starting', string>;
  reconnecting: string;
  succeeded: (label: string) => string;
  undo: string;
  /** Undoing an undo. */
  redo: string;
  /** A restore event in the timeline: where it took the database. */
  restoredTo: (label: string) => string;
  undoneTo: (label: string) => string;
  /** A restore event that a later undo took back. */
  undone: string;
  attached: string;
  previewTitle: (label: string) => string;
  promote: string;
  discard: string;
  errors: Record<RewindErrorCode, string>;
}

export const defaultStrings: RewindStrings = {
  timelineLabel: 'Database versions',
  loading: 'Loading versions…',
  empty: 'No versions yet. Each change the agent makes will appear here.',
  loadFailed: 'Versions could not be loaded.',
  retry: 'Try again',
  current: 'Current',
  expires: (relative) => `Expires ${relative}`,
  forkedFrom: (label) => `Branched from “${label}”`,
  preRestore: 'Automatic backup',
  restore: 'Restore',
  preview: 'Preview',
  rename: 'Rename',
  delete: 'Delete',
  renamePrompt: 'New name',
  confirmTitle: (label) => `Restore “${label}”?`,
  confirmBody:
    'The database goes back to this version: schema and data. Data written since then is replaced, and kept in an undo point (Undo brings it back). The connection string stays the same.',
  diffLoading: 'Comparing with the live database…',
  diffNone: 'The schema is the same; only data changes.',
  diffTable: (name, change) =>
    change === 'added'
      ? `${name} comes back`
      : change === 'removed'
        ? `${name} goes away`
        : `${name} changes`,
  diffItems: (kind, added, removed, changed) => {
    const parts = [
      added.length ? `+ ${added.join(', ')}` : '',
      removed.length ? `− ${removed.join(', ')}` : '',
      changed.length ? `~ ${changed.join(', ')}` : '',
    ].filter(Boolean);
    if (parts.length === 0) return '';
    return kind === 'columns' ? parts.join('  ') : `${kind}: ${parts.join('  ')}`;
  },
  diffIncomplete: 'Some changes could not be placed in a table; the full diff lists them.',
  changesLabel: 'What changed',
  changesNone: 'No schema change; only data.',
  changesUnknown: 'Not known for this version.',
  changeTable: (name, change) =>
    change === 'added' ? `${name} added` : change === 'removed' ? `${name} removed` : `${name} changed`,
  notUndoable:
    'This restore cannot be undone: the project has no room for another snapshot. The current data will be replaced for good.',
  cancel: 'Cancel',
  confirmRestore: 'Restore',
  progressLabel: 'Restore progress',
  phase: {
    starting: 'Starting…',
    'undo-snapshot': 'Saving the current state…',
    restoring: 'Restoring the data…',
    finalizing: 'Switching the database over…',
    cleanup: 'Cleaning up…',
  },
  reconnecting: 'Connection lost, reconnecting…',
  succeeded: (label) => `Restored “${label}”.`,
  undo: 'Undo',
  redo: 'Redo',
  restoredTo: (label) => `Restored to “${label}”`,
  undoneTo: (label) => `Undo: back to “${label}”`,
  undone: 'undone',
  attached: 'Another restore of this project is running; following it.',
  previewTitle: (label) => `Preview of “${label}”`,
  promote: 'Make live',
  discard: 'Discard',
  errors: {
    bad_request: 'The request was not valid.',
    unauthorized: 'You are not signed in to this project.',
    forbidden: 'You may not change this project.',
    not_found: 'That version no longer exists.',
    conflict: 'That conflicts with the current state; refresh and try again.',
    restore_in_progress: 'Another restore of this project is already running.',
    invalid_token: 'This restore can no longer be followed.',
    payload_too_large: 'The request was too large.',
    unsupported_media_type: 'The request was not sent as JSON.',
    idempotency_mismatch: 'This request was already made with different details.',
    lease_lost: 'The restore moved to another server; following it.',
    quota_exceeded:
      'The Neon plan limit is reached (versions or branches). Delete old versions and try again.',
    locked: 'Neon is busy with another change to this project. Try again in a moment.',
    rate_limited: 'Too many requests to Neon. Try again in a moment.',
    operation_failed: 'Neon could not complete the restore. Nothing was changed.',
    neon_unavailable: 'Neon could not be reached. Try again in a moment.',
    timeout: 'The restore is taking longer than expected. It may still finish.',
    internal: 'Something went wrong.',
  },
};

/** Merge overrides (any subset, errors included) over the defaults. */
export function mergeStrings(
  overrides: Partial<Omit<RewindStrings, 'errors' | 'phase'>> & {
    errors?: Partial<RewindStrings['errors']>;
    phase?: Partial<RewindStrings['phase']>;
  } = {},
): RewindStrings {
  return {
    ...defaultStrings,
    ...overrides,
    errors: { ...defaultStrings.errors, ...overrides.errors },
    phase: { ...defaultStrings.phase, ...overrides.phase },
  };
}
