export { createRewind } from './app';
export type { NeonOptions } from './neon/neon-client';
export type { RetryPolicy } from './neon/retry';
export type { ResolvedProject, RewindHooks, RewindOptions } from './options';
export type { PollSettings } from './restore/operation-watcher';
export { summarizeSchemaDiff } from './restore/schema-diff';
export { memoryStore } from './stores/memory-store';
export { SQL_STORE_MIGRATIONS, type SqlQuery, type SqlStore, sqlStore } from './stores/sql-store';
export type {
  LockHolder,
  PendingRestore,
  ProjectState,
  RewindStore,
  StoredPreview,
  StoredVersion,
} from './stores/store';
