import { type ActiveRestore, RewindError, type Version } from '@rewind/protocol';
import type { Context } from 'hono';
import { NeonClient } from './neon/neon-client';
import type { ResolvedProject, RewindOptions } from './options';
import { DEFAULT_POLL, DurationModel, type PollSettings, watchOperations } from './restore/operation-watcher';
import { reconcilePendingRestores } from './restore/reconcile-restores';
import { RestoreHub } from './restore/restore-hub';
import { deleteOrRemember, type JobContext, type ProjectTarget } from './restore/restore-job';
import type { LockHolder, RewindStore, StoredVersion } from './stores/store';

/** Everything the routes share, built once per handler. */
export interface Core {
  options: RewindOptions;
  neon: NeonClient;
  store: RewindStore;
  hub: RestoreHub;
  poll: PollSettings;
  model: DurationModel;
  sleep: (ms: number) => Promise<void>;
  job: JobContext;
}

export type RewindEnv = { Variables: { target: ProjectTarget } };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createCore(options: RewindOptions): Core {
  if (typeof options.secret !== 'string' || options.secret.length < 32) {
    throw new RewindError('internal', 'createRewind: `secret` must be a string of at least 32 characters');
  }
  if (typeof options.resolveProject !== 'function') {
    throw new RewindError('internal', 'createRewind: `resolveProject` must be a function');
  }
  const sleep = options.sleep ?? defaultSleep;
  const neon = new NeonClient(options.neon, options.retry, sleep);
  const poll = { ...DEFAULT_POLL, ...options.poll };
  const model = new DurationModel();
  const hub = new RestoreHub(options.store);
  return {
    options,
    neon,
    store: options.store,
    hub,
    poll,
    model,
    sleep,
    job: {
      neon,
      store: options.store,
      hub,
      poll,
      model,
      sleep,
      newId,
      leaseMs: options.restoreLeaseMs ?? 30_000,
      onRestored: options.hooks?.onRestored,
    },
  };
}

/** URL-safe random ids (WebCrypto). */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `v${Array.from(bytes, (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 20)}`;
}

export async function resolveTarget(core: Core, c: Context): Promise<ProjectTarget> {
  let resolved: ResolvedProject | null;
  try {
    resolved = await core.options.resolveProject(c);
  } catch (error) {
    if (RewindError.is(error)) throw error;
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  if (!resolved || typeof resolved.projectId !== 'string' || resolved.projectId === '') {
    throw new RewindError('unauthorized', 'The platform refused this request');
  }
  return {
    projectId: resolved.projectId,
    branchName: resolved.branchName ?? 'main',
    databaseName: resolved.databaseName ?? 'neondb',
    roleName: resolved.roleName ?? 'neondb_owner',
  };
}

export function toWire(version: StoredVersion, currentVersionId: string | null): Version {
  const { projectId: _projectId, ...rest } = version;
  return { ...rest, current: version.id === currentVersionId };
}

export function activeRestore(holder: LockHolder): ActiveRestore | null {
  if (holder.kind !== 'restore' || !holder.token || !holder.versionId) return null;
  return { token: holder.token, versionId: holder.versionId, startedAt: holder.startedAt };
}

/** The refusal a caller gets while a restore holds the project. */
export function inProgress(holder: LockHolder): RewindError {
  const restore = activeRestore(holder);
  return new RewindError(
    'restore_in_progress',
    restore ? 'A restore of this project is already running' : 'Another change to this project is running',
    { details: restore ? { restore } : {} },
  );
}

/**
 * Run a short mutation under the project lock (shared through the store, so across instances).
 * It waits for another short mutation to finish; a running restore is answered at once with
 * `restore_in_progress` and what is needed to follow it.
 */
export async function withLock<T>(core: Core, target: ProjectTarget, run: () => Promise<T>): Promise<T> {
  const { projectId } = target;
  const holder: LockHolder = {
    id: newId(),
    kind: 'mutation',
    versionId: null,
    token: null,
    startedAt: new Date().toISOString(),
  };
  const deadline = Date.now() + (core.options.lockWaitMs ?? 15_000);
  for (;;) {
    const result = await core.store.acquireLock(projectId, holder, Math.max(120_000, core.poll.deadlineMs));
    if (result.acquired) break;
    if (result.holder.kind === 'restore' || Date.now() > deadline) throw inProgress(result.holder);
    await core.sleep(100);
  }
  try {
    await sweep(core, target);
    return await run();
  } finally {
    await core.store.releaseLock(projectId, holder.id);
  }
}

/**
 * Finish what earlier requests could not: settle restores of unknown outcome, delete branches
 * whose cleanup failed and previews past their expiry. Runs under the project lock.
 */
export async function sweep(core: Core, target: ProjectTarget): Promise<void> {
  const { projectId } = target;
  await reconcilePendingRestores(core.job, target);
  const state = await core.store.getProjectState(projectId);
  const left: string[] = [];
  // Never the live branch, whatever the list says: a deletion here cannot be undone.
  const live =
    state.pendingCleanup.length > 0
      ? await core.neon.findBranchByName(projectId, target.branchName).catch(() => null)
      : undefined;
  for (const branchId of state.pendingCleanup) {
    if (live === null) {
      left.push(branchId); // cannot tell which branch is live now: next time
      continue;
    }
    if (live?.id === branchId) continue; // live now: not ours to delete
    try {
      await core.neon.deleteBranch(projectId, branchId);
    } catch {
      left.push(branchId);
    }
  }
  if (left.length !== state.pendingCleanup.length)
    await core.store.updateProjectState(projectId, { pendingCleanup: left });
  const now = Date.now();
  for (const preview of await core.store.listPreviews(projectId)) {
    if (Date.parse(preview.expiresAt) <= now) {
      await deleteOrRemember(core.job, projectId, preview.branchId);
      await core.store.deletePreview(projectId, preview.id);
    }
  }
}

/** Follow operations to the end with the handler's settings. */
export function settle(core: Core, projectId: string, operations: Parameters<typeof watchOperations>[2]) {
  return watchOperations(core.neon, projectId, operations, {
    settings: core.poll,
    model: core.model,
    sleep: core.sleep,
  });
}
