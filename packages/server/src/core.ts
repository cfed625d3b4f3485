import { type ActiveRestore, RewindError, type Version } from '@rewind/protocol';
import { NeonClient } from './neon/neon-client';
import { RequestBudget } from './neon/request-budget';
import type { RewindApiOptions, RewindOptions } from './options';
import { DurationModel } from './restore/operation-watcher';
import { RestoreHub } from './restore/restore-hub';
import { DEFAULT_RESTORE_STEPS, type MachineContext, UNDO_FIRST_STEPS } from './restore/restore-machine';
import { backupExpiresAt, makeRoom } from './service/retention';
import { resolveRuntime, resolveSettings, type Settings } from './settings';
import type { LockHolder, StoredVersion } from './stores/store';
import type { ProjectTarget, RestoreStep, Runtime } from './types';

/** Everything the service shares, built once per handler. */
export interface Core extends MachineContext {
  /** The handler's options carry its HTTP fields too; the API's do not. */
  options: RewindApiOptions & Partial<Omit<RewindOptions, keyof RewindApiOptions>>;
  /** Every option with its default resolved (defaults.ts): what the service reads. */
  settings: Settings;
  newId: () => string;
  /** Live-branch names claimed per project, as the store answered (a claim never changes). */
  claimedBranches: Map<string, string>;
  /** The step order of new restores (see `RewindOptions.undoPoint`). */
  restoreSteps: () => readonly RestoreStep[];
  /**
   * Work this instance runs after its answer (restore jobs, background reconciliation): tracked
   * so that `idle()` can wait for it (tests, a graceful shutdown, the simulation).
   */
  background: <T>(job: Promise<T>) => Promise<T>;
  /** Resolves once every tracked job has ended, those started meanwhile included. */
  idle: () => Promise<void>;
}

export type RewindEnv = { Variables: { target: ProjectTarget } };

export function createCore(options: RewindApiOptions & Partial<RewindOptions>): Core {
  if (typeof options.secret !== 'string' || options.secret.length < 32) {
    throw new RewindError('internal', 'Rewind: `secret` must be a string of at least 32 characters');
  }
  const settings = resolveSettings(options);
  const runtime = resolveRuntime(options);
  const budget =
    options.budget === false ? undefined : new RequestBudget(options.store, options.budget ?? {}, runtime);
  const neon = new NeonClient(options.neon, options.retry, runtime, budget);
  const { leaseMs } = settings;
  if (neon.timeoutMs + 1_000 >= leaseMs) {
    throw new RewindError(
      'internal',
      'Rewind: `neon.timeoutMs` must be shorter than `restoreLeaseMs` by more than a second',
    );
  }
  const onError = options.onError;
  let undoFirst = settings.undoPoint === 'before-restore';
  const running = new Set<Promise<unknown>>();
  const core: Core = {
    options,
    settings,
    neon,
    store: options.store,
    hub: new RestoreHub(options.store, runtime),
    poll: settings.poll,
    model: new DurationModel(),
    runtime,
    leaseMs,
    newId: () => newId(runtime),
    claimedBranches: new Map(),
    onRestored: options.hooks?.onRestored,
    restoreSteps: () => (undoFirst ? UNDO_FIRST_STEPS : DEFAULT_RESTORE_STEPS),
    background: (job) => {
      const tracked = job.finally(() => running.delete(tracked));
      running.add(tracked);
      return tracked;
    },
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    onUndoAfterSwapRefused: (error) => {
      undoFirst = true;
      try {
        onError?.(error, { where: 'undo point after swap refused: later restores take it first' });
      } catch {
        // as below
      }
    },
    report: (error, context) => {
      try {
        onError?.(error, context);
      } catch {
        // A logger that throws must not break a restore.
      }
    },
    // Only what the quota needs before the undo point; the rest after it (the user waits on Undo).
    makeRoom: (projectId, fence, protect) =>
      makeRoom(core, projectId, fence, 1, protect, { making: 'backup', onlyToFit: true }),
    pruneBackups: async (projectId, fence) => {
      await makeRoom(core, projectId, fence, 0, [], { making: 'backup' });
    },
    backupExpiresAt: () => backupExpiresAt(settings.retention, runtime.clock()),
  };
  return core;
}

/** URL-safe random ids, from the runtime's random bytes (WebCrypto by default). */
export function newId(runtime: Pick<Runtime, 'randomBytes'>): string {
  const bytes = runtime.randomBytes(12);
  return `v${Array.from(bytes, (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 20)}`;
}

export function toWire(version: StoredVersion, currentVersionId: string | null): Version {
  const { projectId: _projectId, schemaHash: _schemaHash, pinned, ...rest } = version;
  return { ...rest, current: version.id === currentVersionId, pinned: pinned ?? false };
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

/** Follow operations to the end with the handler's settings (the machine's own wait). */
export { settled as settleOperations } from './restore/restore-machine';
