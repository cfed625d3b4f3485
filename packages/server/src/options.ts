import type { Context } from 'hono';
import type { NeonOptions } from './neon/neon-client';
import type { RequestBudgetOptions } from './neon/request-budget';
import type { RetryPolicy } from './neon/retry';
import type { PollSettings } from './restore/operation-watcher';
import type { RewindStore, StoredPreview, StoredVersion } from './stores/store';
import type { Runtime } from './types';

/** What `resolveProject` answers for an authorized request: the tenant's Neon project. */
export interface ResolvedProject {
  projectId: string;
  /** Name of the live branch (default `main`); resolved to an id at every call. */
  branchName?: string;
  /** Database compared by schema diffs (default `neondb`). */
  databaseName?: string;
  /** Role for preview connection strings (default `neondb_owner`). */
  roleName?: string;
  /** Who is asking (a user or agent id): kept in the restore audit trail. */
  actor?: string | null;
}

export interface RewindHooks {
  onVersionCreated?: (event: { projectId: string; version: StoredVersion }) => void | Promise<void>;
  onRestored?: (event: {
    projectId: string;
    version: StoredVersion;
    branchId: string;
  }) => void | Promise<void>;
  /** Server-side only: the preview's connection string never goes to the browser. */
  onPreviewReady?: (event: {
    projectId: string;
    preview: StoredPreview;
    connectionUri: string;
  }) => void | Promise<void>;
}

export interface RetentionPolicy {
  /** Keep at most this many versions, automatic backups included (oldest unpinned pruned first). */
  maxVersions?: number;
  backups?: { keep?: number; ttlMs?: number };
}

/**
 * What Rewind needs to act on Neon: shared by the HTTP handler (`createRewind`) and the
 * programmatic API (`createRewindApi`), which adds nothing of its own.
 */
export interface RewindApiOptions {
  /** Neon API access: `apiKey`, `baseURL` (emulator or Neon), `fetch`. */
  neon: NeonOptions;
  /** Version metadata, locks and restore logs; never the database being restored. */
  store: RewindStore;
  /** Secret for signing restore tokens (HMAC-SHA256); at least 32 characters. */
  secret: string;
  poll?: Partial<PollSettings>;
  retry?: Partial<RetryPolicy>;
  hooks?: RewindHooks;
  /** How long a restore token stays valid (default 1 h). */
  tokenTtlMs?: number;
  /** Previews not promoted or discarded are swept after this (default 30 min). */
  previewTtlMs?: number;
  /** How long a short mutation waits for the project lock before answering 409 (default 15 s). */
  lockWaitMs?: number;
  /**
   * When a restore takes its undo point. `'after-swap'` (default): a snapshot of the replaced
   * "(old)" branch once the live branch is restored, so the user waits for Neon's restore chain
   * alone. `'before-restore'`: a snapshot of the live branch before Neon is asked (slower; for a
   * Neon that refuses to snapshot the replaced branch — Rewind also switches to it by itself,
   * for the rest of the process, the first time Neon refuses).
   */
  undoPoint?: 'after-swap' | 'before-restore';
  /**
   * How often, at most, a project's timeline is reconciled with Neon (a snapshot deleted or a
   * live branch replaced out of band), across instances (default 5 min; expired versions are
   * hidden at once from their `expiresAt`, and a restore of a version Neon no longer has answers
   * `not_found` and drops it, so no view waits for this). Between, `GET /versions` is served from
   * the store alone. 0: on every view, before answering.
   */
  reconcileIntervalMs?: number;
  /**
   * What Rewind prunes to stay inside Neon's snapshot quota. Automatic backups (undo points) are
   * kept `backups.keep` deep (default 3) and expire after `backups.ttlMs` (default 24 h, set as
   * the snapshot's `expires_at` when it is made: Neon cannot change it later). With `maxVersions`
   * the oldest unpinned versions go too, once there are more (and when the quota is full). Never
   * pruned: pinned versions, the undo point an Undo is offered for, a version being previewed.
   */
  retention?: RetentionPolicy;
  /**
   * The project's snapshot quota (default 100, Neon's paid plans; 1 on Free). At the quota a new
   * version first frees a slot by `retention`, or answers `quota_exceeded`; a restore that cannot
   * take an undo point runs without one (its confirmation says so) unless `requireUndo`.
   */
  snapshotQuota?: number;
  /** Refuse a restore that cannot take an undo point (`quota_exceeded`) instead of running it. */
  requireUndo?: boolean;
  /**
   * The deployment's Neon request budget, shared by every instance through the store (default:
   * Neon's limits, 700 a minute and 40 a second per route). A running restore comes first, user
   * actions next (they answer `rate_limited` with `retryAfter` when budget does not come within
   * `userWaitMs`, or `saveWaitMs` for a version's creation), background reconciliation last.
   * `false`: no budget (Neon's 429s are retried).
   */
  budget?: RequestBudgetOptions | false;
  /**
   * How long a restore keeps its project when the instance running it goes silent (default 30 s;
   * renewed every third of it). After that, followers settle the restore from what Neon shows.
   * Every instance sharing a store should use the same value (and `neon.timeoutMs`): a restore
   * call is believed not to have landed by the recovering instance's window.
   */
  restoreLeaseMs?: number;
  /**
   * Receives what Rewind handles without failing the request (a store hiccup retried, a cleanup
   * Neon refused and left to the sweep, a hook that threw) and every 5xx it answers.
   */
  onError?: (error: unknown, context: Record<string, unknown>) => void;
  /**
   * @internal Clock, timers and randomness (defaults.ts: the real ones). Tests skew the clock;
   * the deterministic simulation hands in virtual ones. Leases are judged by the store's clock.
   */
  runtime?: Partial<Runtime>;
}

/** The HTTP handler's options: the API's, plus how a request maps to its tenant. */
export interface RewindOptions extends RewindApiOptions {
  /**
   * The platform's auth: map a request to its tenant's Neon project, or return null (401).
   * Throwing a RewindError answers with it.
   */
  resolveProject: (c: Context) => ResolvedProject | null | Promise<ResolvedProject | null>;
  /** Keep a restore running after its response ends (edge runtimes). Default: `c.executionCtx.waitUntil` when present. */
  waitUntil?: (promise: Promise<unknown>, c: Context) => void;
  /**
   * Where the handler's routes live in the request URL when it is called with the full path
   * (`rewind.fetch(request)` from a framework's catch-all route), e.g. `/api/rewind`. Not needed
   * when it is mounted with `app.route('/api/rewind', rewind)`.
   */
  basePath?: string;
  /** Largest accepted request body (default 64 KiB). */
  maxBodyBytes?: number;
  /** SSE heartbeat interval (default 3 s; Bun cuts streams idle for 10 s). */
  heartbeatMs?: number;
}
