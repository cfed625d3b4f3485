// A restore controller pinned to one state, so stories show every state without a server.
import type { UseRestoreResult } from '../hooks/use-restore';

const noop = () => undefined;
const resolved = async () => undefined;

export function fixtureRestore(state: Partial<UseRestoreResult>): UseRestoreResult {
  return {
    status: 'idle',
    connection: 'closed',
    versionId: 'v1',
    phase: null,
    progress: 0,
    operations: [],
    error: null,
    undoVersionId: null,
    attached: false,
    confirm: noop,
    cancel: noop,
    start: resolved,
    attach: resolved,
    undo: resolved,
    promote: resolved,
    reset: noop,
    disconnect: noop,
    ...state,
  };
}
