import type { RestoreEvent, Version } from '@rewind/protocol';
import type { BucketRule, RestoreRecord } from '../types';

/** A version as the store keeps it: the wire `Version` without `current` (derived per request), plus its tenant. */
export interface StoredVersion extends Omit<Version, 'current' | 'pinned'> {
  projectId: string;
  /** Never pruned by retention; absent means false. */
  pinned?: boolean;
  /**
   * SHA-256 of the version's schema (pg_dump of its database, captured at creation), kept once
   * per content in `putSchema`; null when it could not be read (the diff then takes a branch).
   */
  schemaHash?: string | null;
  /**
   * Where Neon says the snapshot was taken: its `lsn` on `source_branch_id`. Two snapshots of one
   * branch at one lsn hold the same data (a timeline's state is a function of its WAL position),
   * which is how an undo proves that nothing was written since a version. Null when unknown.
   */
  lsn?: string | null;
  sourceBranchId?: string | null;
}

/** A Neon resource Rewind is about to create, recorded first (write-ahead) so a crash never leaks it. */
export interface PendingCreate {
  /**
   * `deletion`: a version being deleted (its snapshot, then its row); `name` is
   * `rewind-delete-<versionId>`. Hidden from the timeline from then on; a sweep finishes it.
   */
  kind: 'snapshot' | 'branch' | 'deletion';
  /** The name Rewind gives it in Neon: how the sweep finds it when the creator died. */
  name: string;
  /** The version row that will own it (snapshots), deleted with it when the creation is abandoned. */
  versionId: string | null;
  /** Store clock (ms) when it was recorded: a paused creator's call may still land until a lease plus a request later. */
  at: number;
}

/** Per-project facts Rewind must remember between requests. */
export interface ProjectState {
  currentVersionId: string | null;
  /** The version taken before the last restore: what "Undo" restores. */
  undoVersionId: string | null;
  /** The live branch's id as Rewind last saw it swapped in: a different one means a restore Rewind did not record. */
  liveBranchId: string | null;
  /** The one live-branch name this project is versioned under (claimed by the first request). */
  branchName: string | null;
  /** Branches Rewind made and still has to delete (cleanup that failed or was cut short). */
  pendingCleanup: string[];
  /** Neon resources being created: adopted by the write that records them, else deleted by the sweep. */
  pendingCreates: PendingCreate[];
}

/**
 * A change to the project state, applied atomically per field: two patches to different fields
 * never lose one (no read-merge-write), and list fields are changed by element.
 */
export interface StatePatch {
  currentVersionId?: string | null;
  undoVersionId?: string | null;
  liveBranchId?: string | null;
  cleanupAdd?: string[];
  cleanupRemove?: string[];
  createsAdd?: PendingCreate[];
  /** Names of pending creates to drop. */
  createsRemove?: string[];
}

/**
 * Proof of holding the project lock: every write made under the lock carries it, and the store
 * refuses it (`lease_lost`) once the lease expired or was taken over, judged by the store's clock.
 */
export interface Fence {
  holderId: string;
  epoch: number;
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

/** What an idempotency key was first used for. */
export interface IdempotencyRecord {
  versionId: string;
  /** SHA-256 of the first request's body; null for keys stored before bodies were hashed. */
  bodyHash: string | null;
}

/**
 * Where Rewind keeps version metadata, locks, restore records and their event logs. Never the
 * database being restored. All methods are scoped by project, so one store serves every tenant.
 * Writes that take a `fence` happen only while that lease is live; else they throw `lease_lost`.
 */
export interface RewindStore {
  /** The store's clock (ms since the epoch): the one clock lease expiry is judged by. */
  now(): Promise<number>;

  listVersions(projectId: string): Promise<StoredVersion[]>;
  getVersion(projectId: string, id: string): Promise<StoredVersion | null>;
  /**
   * Insert a version, and with it (atomically) its idempotency key and a state patch (the
   * version becomes current; its snapshot's pending create is adopted).
   */
  insertVersion(
    version: StoredVersion,
    options?: { fence?: Fence | null; idempotency?: { key: string; bodyHash: string }; state?: StatePatch },
  ): Promise<void>;
  renameVersion(projectId: string, id: string, label: string): Promise<StoredVersion | null>;
  setPinned(projectId: string, id: string, pinned: boolean): Promise<StoredVersion | null>;
  /** Deletes a version; its children are re-parented to its parent so history stays connected. */
  deleteVersion(projectId: string, id: string, fence?: Fence | null): Promise<boolean>;
  getIdempotencyKey(projectId: string, key: string): Promise<IdempotencyRecord | null>;
  /**
   * Claim the project's next reconciliation with Neon: true for exactly one caller (across
   * instances) per `intervalMs`, by the store's clock.
   */
  claimReconcile(projectId: string, intervalMs: number): Promise<boolean>;
  /**
   * Take `cost` tokens from the shared bucket `key` (created full) if at least `rule.reserve`
   * stay after, refilling by the store's clock; else how long until they would be there.
   * Across instances, atomically.
   */
  takeTokens(key: string, cost: number, rule: BucketRule): Promise<{ granted: boolean; waitMs: number }>;
  /** Keep a schema text under its hash, once for every project and version that has it. */
  putSchema(hash: string, sql: string): Promise<void>;
  getSchema(hash: string): Promise<string | null>;

  getProjectState(projectId: string): Promise<ProjectState>;
  patchProjectState(projectId: string, patch: StatePatch, fence?: Fence | null): Promise<void>;
  /** Claim the project's live-branch name if none is claimed; answers the claimed one. */
  claimBranchName(projectId: string, branchName: string): Promise<string>;

  /** Atomically take the project's lock unless a live (unexpired, by the store's clock) holder has it. */
  acquireLock(
    projectId: string,
    holder: LockHolder,
    ttlMs: number,
  ): Promise<{ acquired: true; fence: Fence } | { acquired: false; holder: LockHolder }>;
  /** Extend a held lease; false when it was lost (expired and taken, or released). */
  renewLock(projectId: string, fence: Fence, ttlMs: number): Promise<boolean>;
  releaseLock(projectId: string, fence: Fence): Promise<void>;
  getLock(projectId: string): Promise<LockHolder | null>;

  /**
   * Write a restore record, append its new events and apply a state patch, in one atomic write.
   * The record's `updatedAt` is set by the store's clock.
   */
  commitRestore(
    record: RestoreRecord,
    options: {
      fence: Fence;
      events?: RestoreEvent[];
      state?: StatePatch;
      version?: VersionWrite;
      /** A preview that ends with this write (a promotion's, once its outcome is recorded). */
      removePreview?: string;
    },
  ): Promise<void>;
  getRestore(projectId: string, id: string): Promise<RestoreRecord | null>;
  /** Restores of a project, newest first (by when the store first saw them): the open ones or all (the audit trail). */
  listRestores(projectId: string, options?: { open?: boolean; limit?: number }): Promise<RestoreRecord[]>;
  /** Events of a restore with id greater than `afterId`, in order. */
  readEvents(projectId: string, restoreId: string, afterId: number): Promise<RestoreEvent[]>;

  putPreview(preview: StoredPreview, fence?: Fence | null): Promise<void>;
  getPreview(projectId: string, id: string): Promise<StoredPreview | null>;
  listPreviews(projectId: string): Promise<StoredPreview[]>;
  deletePreview(projectId: string, id: string, fence?: Fence | null): Promise<void>;
}

/**
 * A version row a restore step writes with its record: the undo point it took (`insert`, a no-op
 * when the row is there: a retried commit whose first answer was lost), or a version it removes
 * (`remove`: its snapshot is gone, or the undo point is taken again; children move to its parent).
 */
export interface VersionWrite {
  insert?: StoredVersion;
  remove?: string;
}

export const EMPTY_PROJECT_STATE: ProjectState = {
  currentVersionId: null,
  undoVersionId: null,
  liveBranchId: null,
  branchName: null,
  pendingCleanup: [],
  pendingCreates: [],
};

/** Apply a patch to a state (the memory store's atomic step, and the SQL store's reference). */
export function applyStatePatch(state: ProjectState, patch: StatePatch): ProjectState {
  const next: ProjectState = { ...state };
  if (patch.currentVersionId !== undefined) next.currentVersionId = patch.currentVersionId;
  if (patch.undoVersionId !== undefined) next.undoVersionId = patch.undoVersionId;
  if (patch.liveBranchId !== undefined) next.liveBranchId = patch.liveBranchId;
  const removed = new Set(patch.cleanupRemove ?? []);
  next.pendingCleanup = [...new Set([...state.pendingCleanup, ...(patch.cleanupAdd ?? [])])].filter(
    (id) => !removed.has(id),
  );
  const gone = new Set(patch.createsRemove ?? []);
  next.pendingCreates = [...state.pendingCreates, ...(patch.createsAdd ?? [])].filter(
    (c) => !gone.has(c.name),
  );
  return next;
}
