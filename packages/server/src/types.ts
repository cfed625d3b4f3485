import type { RestoreEvent, RewindErrorJSON } from '@rewind/protocol';

// The shapes that the store, the machine and the services share. A leaf: it imports nothing of
// the server's, so every module can depend on it without a cycle.

/** A tenant's project as `resolveProject` described it: what every service call acts on. */
export interface ProjectTarget {
  projectId: string;
  /** The live branch's name; its id changes with every restore, so it is resolved at each call. */
  branchName: string;
  databaseName: string;
  roleName: string;
  /** Who asks (from `resolveProject`), kept in the restore audit trail. */
  actor?: string | null;
}

/** The steps of a restore. Their order is data (`RestoreRecord.steps`), not code. */
export type RestoreStep = 'undo-point' | 'restore' | 'record' | 'cleanup';

/**
 * One restore, persisted: the single home of its state. Written (fenced by its lease) before
 * anything is asked of Neon and at every transition; recovery decides from it and from Neon.
 * It is also the audit trail: who restored what, when, and how it ended.
 */
export interface RestoreRecord {
  id: string;
  projectId: string;
  branchName: string;
  kind: 'restore' | 'undo' | 'promote';
  versionId: string;
  snapshotId: string;
  /** Who asked, as `resolveProject` named them. */
  actor: string | null;
  token: string;
  /** The lock holder that runs it: its lease fences every write. */
  holderId: string;
  steps: RestoreStep[];
  done: RestoreStep[];
  status: 'running' | 'succeeded' | 'failed';
  /** The last transition, for operators. */
  phase: RestoreAction['type'] | 'intent';
  /** The live branch before the restore: it becomes "(old)" once swapped. */
  liveBeforeId: string | null;
  /**
   * The version current before the restore: the undo point's parent, also when it is taken
   * after the outcome was recorded. Absent in records written before it existed.
   */
  currentBeforeId?: string | null;
  /** The branch Neon restored into (from its answer), or the live one once swapped. */
  restoredBranchId: string | null;
  /**
   * The version the live database matches once recorded: `versionId`, or the version an
   * untouched undo point proves it equal to (see `sameDataAs`). Absent before `recorded`.
   */
  currentAfterId?: string | null;
  /** A one-way door: once Neon shows the live branch replaced, the outcome is success. */
  swapped: boolean;
  /** A restore call may be on its way to Neon with no answer recorded. */
  asking: boolean;
  /** The pre-restore version's id when the restore is undoable (planned; see `undoTaken`). */
  undoVersionId: string | null;
  undoTaken: boolean;
  preview: { id: string; branchId: string } | null;
  error: RewindErrorJSON['error'] | null;
  /** Id of the last event in its log. */
  lastEventId: number;
  createdAt: string;
  finishedAt: string | null;
  /** Store clock (ms) of the last write; set by the store. */
  updatedAt: number;
}

/** An event as a transition makes it, before the log numbers it. */
export type EventBody = Omit<RestoreEvent, 'id'>;

/** Everything that happens to a restore. Every change of a record goes through `transition`. */
export type RestoreAction =
  | { type: 'begun' }
  /** A durable write beside the record (a state patch, a version row) that is no step of its own. */
  | { type: 'wrote' }
  | { type: 'live-resolved'; liveBeforeId: string; currentBeforeId?: string | null }
  | { type: 'undo-taken' }
  | { type: 'step-skipped'; step: RestoreStep }
  | { type: 'asking' }
  | { type: 'asked'; restoredBranchId: string }
  /** Progress only (operation status, phase progress, cleanup): no durable change. */
  | { type: 'observed'; event: EventBody }
  | { type: 'swapped'; branchId: string }
  | { type: 'recorded'; currentAfterId: string }
  | { type: 'cleaned' }
  | { type: 'not-done'; error: RewindErrorJSON['error'] };

/** One token bucket as the store keeps it: `capacity` tokens, refilled at `perSecond`. */
export interface BucketRule {
  capacity: number;
  perSecond: number;
  /** Tokens that must stay in the bucket after this take (what lower priorities leave to higher). */
  reserve: number;
}

/**
 * Time and chance as Rewind sees them. Nothing else in the server reads a clock, starts a timer
 * or draws a random number: tests and the deterministic simulation (bench/sim) hand in virtual
 * ones, and everything then happens in an order a seed decides.
 */
export interface Runtime {
  /** Wall clock (ms since the epoch): timestamps, token expiry, wait deadlines. */
  clock: () => number;
  /** Monotonic time (ms) for lease accounting: unaffected by a skewed wall clock. */
  elapsed: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Run `fn` once after `ms` unless cancelled first; a timer never keeps a process alive. */
  timer: (ms: number, fn: () => void) => () => void;
  /** Uniform in [0, 1): retry jitter. */
  random: () => number;
  /** Random bytes: version, restore and lock-holder ids. */
  randomBytes: (length: number) => Uint8Array;
}
