import type { RewindErrorJSON } from './errors';

/** The SSE `event:` name of every restore event. The wire names live here and nowhere else. */
export const RESTORE_EVENT = {
  started: 'restore.started',
  operation: 'restore.operation',
  progress: 'restore.progress',
  finalized: 'restore.finalized',
  undoAvailable: 'restore.undo-available',
  cleanup: 'restore.cleanup',
  succeeded: 'restore.succeeded',
  failed: 'restore.failed',
  heartbeat: 'heartbeat',
} as const;

/** The phases a restore goes through, in order. */
export const RESTORE_PHASES = ['undo-snapshot', 'restoring', 'finalizing', 'cleanup'] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

/** Neon operation statuses, as the Neon API reports them. */
export type OperationStatus =
  | 'scheduling'
  | 'running'
  | 'finished'
  | 'failed'
  | 'error'
  | 'cancelling'
  | 'cancelled'
  | 'skipped';

export interface RestoreStartedData {
  versionId: string;
  /** Signed token to follow this restore from anywhere: `GET /restores/:token/events`. */
  token: string;
  /** The version taken just before restoring, when the restore is undoable. */
  undoVersionId: string | null;
  /** RFC 3339. */
  startedAt: string;
}

/** One Neon operation changed status. Ids are Neon operation ids; no secrets. */
export interface RestoreOperationData {
  operationId: string;
  action: string;
  status: OperationStatus;
  phase: RestorePhase;
}

export interface RestoreProgressData {
  phase: RestorePhase;
  /** 0..1 over the whole restore. */
  progress: number;
  /** Operations of this phase that have settled / that exist. */
  settled: number;
  total: number;
}

/**
 * The live database is the version, and Rewind has recorded it: what the user waits for. The
 * stream goes on (the undo point, the "(old)" branch's deletion) until `restore.succeeded`.
 */
export interface RestoreFinalizedData {
  /** The live branch's new id (the tenant's own branch). */
  branchId: string;
  /** The version the live database now matches. */
  versionId: string;
  /** What Undo restores from now on, when this restore is undoable. */
  undoVersionId: string | null;
}

/** The undo point exists: Undo can be offered from now on (before or after `finalized`). */
export interface RestoreUndoAvailableData {
  undoVersionId: string;
}

export interface RestoreCleanupData {
  /** What was cleaned up: the `… (old)` branch left by the restore. */
  branchName: string;
  status: 'started' | 'done' | 'failed';
}

export interface RestoreSucceededData {
  versionId: string;
  undoVersionId: string | null;
  branchId: string;
  /** RFC 3339. */
  finishedAt: string;
}

export type RestoreFailedData = RewindErrorJSON;

export type HeartbeatData = Record<string, never>;

interface EventOf<N extends string, D> {
  event: N;
  /** Monotonic per restore; resend as `Last-Event-ID` to resume after it. */
  id: number;
  data: D;
}

/** Every event a restore stream carries, discriminated by `event`. */
export type RestoreEvent =
  | EventOf<typeof RESTORE_EVENT.started, RestoreStartedData>
  | EventOf<typeof RESTORE_EVENT.operation, RestoreOperationData>
  | EventOf<typeof RESTORE_EVENT.progress, RestoreProgressData>
  | EventOf<typeof RESTORE_EVENT.finalized, RestoreFinalizedData>
  | EventOf<typeof RESTORE_EVENT.undoAvailable, RestoreUndoAvailableData>
  | EventOf<typeof RESTORE_EVENT.cleanup, RestoreCleanupData>
  | EventOf<typeof RESTORE_EVENT.succeeded, RestoreSucceededData>
  | EventOf<typeof RESTORE_EVENT.failed, RestoreFailedData>
  | EventOf<typeof RESTORE_EVENT.heartbeat, HeartbeatData>;

export type RestoreEventName = RestoreEvent['event'];

const EVENT_NAMES = new Set<string>(Object.values(RESTORE_EVENT));

/** True when the event ends the stream. */
export function isTerminalRestoreEvent(event: RestoreEvent): boolean {
  return event.event === RESTORE_EVENT.succeeded || event.event === RESTORE_EVENT.failed;
}

/**
 * Turn one parsed SSE message (`event`, `id`, `data` text) into a typed event, or `null` when
 * it is not one of ours (unknown name, bad id, data that is not a JSON object). Unknown events
 * are skipped, not fatal, so a newer server can add events without breaking older clients.
 */
export function decodeRestoreEvent(message: {
  event?: string | undefined;
  id?: string | undefined;
  data: string;
}): RestoreEvent | null {
  if (message.event === undefined || !EVENT_NAMES.has(message.event)) return null;
  const id = Number(message.id);
  if (!Number.isSafeInteger(id) || id < 0) return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  return { event: message.event, id, data } as RestoreEvent;
}

/** Serialize one event in `text/event-stream` framing. */
export function encodeRestoreEvent(event: RestoreEvent): string {
  return `event: ${event.event}\nid: ${event.id}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
