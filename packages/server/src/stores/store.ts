import type { RestoreEvent, Version } from '@rewind/protocol';

/** A version as the store keeps it: the wire `Version` without `current` (derived per request), plus its tenant. */
export interface StoredVersion extends Omit<Version, 'current'> {
  projectId: string;
}

/** Per-project facts Rewind must remember between requests. */
export interface ProjectState {
  currentVersionId: string | null;
  /** The version taken before the last restore: what "Undo" restores. */
  undoVersionId: string | null;
  /** Branches Rewind made and still has to delete (cleanup that failed or was cut short). */
  pendingCleanup: string[];
  /** Restores whose outcome was unknown when they ended (deadline, lost contact): settled by the sweep. */
  pendingRestores: PendingRestore[];
}

/**
 * A restore whose outcome is not settled: written before Rewind asks Neon for anything (a
 * write-ahead intent), filled in as the restore goes, and removed once its outcome is recorded.
 * If the instance running it dies (an edge runtime's `waitUntil` ends, a crash), the sweep finds
 * the entry and settles it from what Neon shows.
 */
export interface PendingRestore {
  /** The restore's id: its event log, so followers hear how it ended. */
  restoreId: string;
  versionId: string;
  /** The live branch before the restore: becomes "(old)" if the restore took effect. */
  liveBeforeId: string;
  /** The branch Neon restored into, once Neon has answered; the live branch if the restore took effect. */
  restoredBranchId: string | null;
  /** The version taken before the restore (planned id; it may not exist yet). */
  undoVersionId: string | null;
  /** The preview being promoted, if this restore promotes one. */
  preview: { id: string; branchId: string } | null;
}

/** Who holds a project's mutation lock: a restore (followable) or a short mutation. */
export interface LockHolder {
  id: string;
  kind: 'restore' | 'mutation';
  versionId: string | null;
  /** Signed token to follow a restore; null for short mutations. */
  token: string | null;
  startedAt: string;
}

export interface StoredPreview {
  id: string;
  projectId: string;
  versionId: string;
  branchId: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * Where Rewind keeps version metadata, locks and restore progress. Never the database being
 * restored. All methods are scoped by project, so one store serves every tenant.
 */
export interface RewindStore {
  listVersions(projectId: string): Promise<StoredVersion[]>;
  getVersion(projectId: string, id: string): Promise<StoredVersion | null>;
  insertVersion(version: StoredVersion): Promise<void>;
  renameVersion(projectId: string, id: string, label: string): Promise<StoredVersion | null>;
  /** Deletes a version; its children are re-parented to its parent so history stays connected. */
  deleteVersion(projectId: string, id: string): Promise<boolean>;

  getProjectState(projectId: string): Promise<ProjectState>;
  updateProjectState(projectId: string, patch: Partial<ProjectState>): Promise<void>;

  /** The version id created for an idempotency key, if any. */
  getIdempotencyKey(projectId: string, key: string): Promise<string | null>;
  putIdempotencyKey(projectId: string, key: string, versionId: string): Promise<void>;

  /** Atomically take the project's lock unless a live (unexpired) holder has it. */
  acquireLock(
    projectId: string,
    holder: LockHolder,
    ttlMs: number,
  ): Promise<{ acquired: true } | { acquired: false; holder: LockHolder }>;
  /** Extend a held lock; false when the holder no longer has it. */
  renewLock(projectId: string, holderId: string, ttlMs: number): Promise<boolean>;
  releaseLock(projectId: string, holderId: string): Promise<void>;
  getLock(projectId: string): Promise<LockHolder | null>;

  /** Append to a restore's event log (ids are assigned by the caller, increasing). */
  appendEvent(projectId: string, restoreId: string, event: RestoreEvent): Promise<void>;
  /** Events of a restore with id greater than `afterId`, in order. */
  readEvents(projectId: string, restoreId: string, afterId: number): Promise<RestoreEvent[]>;

  putPreview(preview: StoredPreview): Promise<void>;
  getPreview(projectId: string, id: string): Promise<StoredPreview | null>;
  listPreviews(projectId: string): Promise<StoredPreview[]>;
  deletePreview(projectId: string, id: string): Promise<void>;
}

export const EMPTY_PROJECT_STATE: ProjectState = {
  currentVersionId: null,
  undoVersionId: null,
  pendingCleanup: [],
  pendingRestores: [],
};
