export { type AdminTarget, createRewindAdmin, type RewindAdmin } from './admin';
export {
  type ChangeContext,
  createRewindApi,
  type RewindApi,
  type RewindTarget,
} from './api';
export { createRewind } from './app';
export type { NeonOptions } from './neon/neon-client';
export type { RetryPolicy } from './neon/retry';
export type { ResolvedProject, RewindApiOptions, RewindHooks, RewindOptions } from './options';
export type { PollSettings } from './restore/operation-watcher';
export { DEFAULT_RESTORE_STEPS, transition as restoreTransition } from './restore/restore-machine';
export type { RestoreResult, RestoreRun } from './restore/restore-run';
export { summarizeSchemaDiff } from './restore/schema-diff';
export type { RestoreAuditEntry, StartedRestore } from './service/restores';
export { memoryStore } from './stores/memory-store';
export { SQL_STORE_MIGRATIONS, type SqlQuery, type SqlStore, sqlStore } from './stores/sql-store';
export type {
  Fence,
  IdempotencyRecord,
  LockHolder,
  PendingCreate,
  ProjectState,
  RewindStore,
  StatePatch,
  StoredPreview,
  StoredVersion,
} from './stores/store';
export type { ProjectTarget, RestoreAction, RestoreRecord, RestoreStep } from './types';
