// A restore controller pinned to one state, so stories show every state without a server.
import { INITIAL, type UseRestoreResult } from '../hooks/use-restore';

const noop = () => undefined;
const resolved = async () => undefined;

export function fixtureRestore(state: Partial<UseRestoreResult>): UseRestoreResult {
  return {
    ...INITIAL,
    versionId: 'v1',
    presenting: true,
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
