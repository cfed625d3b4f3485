/** A JSON value, as carried in version metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Why a version exists: made by the platform (an agent prompt, a manual save), or made by
 * Rewind itself just before a restore so that the restore can be undone.
 */
export type VersionKind = 'manual' | 'pre-restore';

/** One restorable database version: a Neon snapshot plus what the platform said about it. */
export interface Version {
  /** Rewind's id for the version (opaque, URL-safe). */
  id: string;
  /** Short human label, e.g. "Add tags to contacts". */
  label: string;
  /** The agent prompt that produced this state, if any. */
  prompt: string | null;
  /** The code reference that goes with this database state (a commit sha, a bundle id…). */
  codeRef: string | null;
  /** The version this one was made on top of; versions made after a rollback fork from it. */
  parentId: string | null;
  /** The Neon snapshot id holding the data. */
  snapshotId: string;
  kind: VersionKind;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; when Neon deletes the snapshot, or null if it never expires. */
  expiresAt: string | null;
  /** True for the version the live database currently matches. */
  current: boolean;
  /** Pinned versions are never pruned by retention (`PATCH /versions/:id` `{ pinned }`). */
  pinned: boolean;
  /** Free-form platform data, returned as given. */
  metadata: Record<string, JsonValue>;
}

/** `GET /versions` */
export interface ListVersionsResponse {
  versions: Version[];
  /** The version the live database matches, or null before the first restore or version. */
  currentVersionId: string | null;
  /** The live branch as Rewind resolved it for this request (the tenant's own). */
  liveBranch: { id: string; name: string };
  /** The running restore of this project, if any, so a UI can attach to it. */
  activeRestore: ActiveRestore | null;
  /** What `POST /undo` restores now (the undo point of the last restore), or null. */
  undoVersionId: string | null;
  /**
   * The project's restores that succeeded, newest first (the latest 50): the timeline shows them
   * between versions. An undo point belongs to its restore, not to the list of saved versions.
   */
  restores: RestoreEntry[];
}

/** One restore that happened, as the timeline shows it ("Restored to v1 · 10:32 · Undo"). */
export interface RestoreEntry {
  id: string;
  /** `undo`: the restore of an undo point (undoing an undo is a redo); `promote`: from a preview. */
  kind: 'restore' | 'undo' | 'promote';
  /** The version whose snapshot was restored (for an undo, the undo point). */
  versionId: string;
  /** The version current before it. */
  currentBeforeId: string | null;
  /**
   * The version the live database matched after it: `versionId`, or, for an undo whose undo point
   * Neon shows taken on the same branch at the same lsn as the version current before the
   * restore (nothing written since), that version.
   */
  currentAfterId: string;
  /** Its own undo point (what Undo restores while it is the last restore), if it took one. */
  undoVersionId: string | null;
  /** Who asked, as `resolveProject` named them. */
  actor: string | null;
  /** RFC 3339. */
  startedAt: string;
  finishedAt: string;
}

/** `POST /versions` body. Send an `Idempotency-Key` header to make retries safe. */
export interface CreateVersionBody {
  label: string;
  prompt?: string | null;
  codeRef?: string | null;
  /** Defaults to the current version. */
  parentId?: string | null;
  /** RFC 3339; passed to Neon as the snapshot's `expires_at`. */
  expiresAt?: string | null;
  metadata?: Record<string, JsonValue>;
}

/** `PATCH /versions/:id` body: a new label, a pin, or both. */
export interface UpdateVersionBody {
  label?: string;
  /** Pinned versions are never pruned by retention. */
  pinned?: boolean;
}

/** @deprecated `UpdateVersionBody` with a label. */
export interface RenameVersionBody {
  label: string;
}

/** `POST /versions/:id/restore` body (optional). */
export interface RestoreBody {
  /** Take a pre-restore version first so the restore can be undone (default true). */
  undoable?: boolean;
}

/** What a client needs to follow a running restore. */
export interface ActiveRestore {
  /** Signed, tenant-scoped token; the path segment of `GET /restores/:token/events`. */
  token: string;
  /** The version being restored. */
  versionId: string;
  /** RFC 3339. */
  startedAt: string;
}

/** A restore branch that has not been promoted yet. */
export interface Preview {
  id: string;
  versionId: string;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339; the preview is swept after this. */
  expiresAt: string;
  /** Phase of the preview branch. */
  state: 'creating' | 'ready';
}

/** `POST /versions/:id/preview` response. */
export interface CreatePreviewResponse {
  preview: Preview;
  diff: SchemaDiff;
}

/** `POST /versions/:id/diff`: what restoring the version changes, and whether it can be undone. */
export interface VersionDiffResponse {
  diff: SchemaDiff;
  /**
   * False when this restore cannot take an undo point: the project's snapshot quota is full of
   * versions retention may not prune (a 1-snapshot plan, for one). Absent from older servers.
   */
  undoable?: boolean;
}

/**
 * `GET /versions/:id/changes`: what the version changed in the schema against its parent (a first
 * version: against an empty database), from stored schemas. Null when Rewind has no schema stored
 * for one of them.
 */
export interface VersionChangesResponse {
  changes: SchemaDiff | null;
}

/** What the confirm dialog shows: the schema diff and whether the restore can be undone. */
export interface VersionDiff extends SchemaDiff {
  undoable: boolean;
}

/** A schema diff, as Neon's compare_schema returns it, plus a per-table summary. */
export interface SchemaDiff {
  /** Unified diff text, "what to apply to live to get this version". Empty when identical. */
  text: string;
  /** One entry per table (schema-qualified name) that would change. */
  tables: SchemaDiffTable[];
  /**
   * False when some changed lines of `text` could not be placed in a table (the summary was read
   * from the diff alone, and a hunk did not show the statement). The text is always complete.
   */
  complete: boolean;
}

/**
 * How one table differs, "in the restored version compared with live". An added or removed table
 * is named, not itemized. Constraints are primary keys, unique, foreign keys and checks; a changed
 * item kept its name but not its definition (a column's type or default, say).
 */
export interface SchemaDiffTable {
  name: string;
  change: 'added' | 'removed' | 'changed';
  addedColumns: string[];
  removedColumns: string[];
  changedColumns: string[];
  addedConstraints: string[];
  removedConstraints: string[];
  changedConstraints: string[];
  addedIndexes: string[];
  removedIndexes: string[];
  changedIndexes: string[];
}

/** A table entry with nothing itemized yet: `{ ...schemaDiffTable(name, change), addedColumns: [...] }`. */
export function schemaDiffTable(name: string, change: SchemaDiffTable['change']): SchemaDiffTable {
  return {
    name,
    change,
    addedColumns: [],
    removedColumns: [],
    changedColumns: [],
    addedConstraints: [],
    removedConstraints: [],
    changedConstraints: [],
    addedIndexes: [],
    removedIndexes: [],
    changedIndexes: [],
  };
}
