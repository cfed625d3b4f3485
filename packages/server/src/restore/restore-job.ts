import {
  RESTORE_EVENT,
  RESTORE_PHASES,
  type RestoreEvent,
  type RestorePhase,
  RewindError,
} from '@rewind/protocol';
import type { Branch, NeonClient, Operation } from '../neon/neon-client';
import type { PendingRestore, RewindStore, StoredPreview, StoredVersion } from '../stores/store';
import { type DurationModel, type PollSettings, watchOperations } from './operation-watcher';
import type { RestoreHub } from './restore-hub';

/** The tenant's project as `resolveProject` described it. */
export interface ProjectTarget {
  projectId: string;
  branchName: string;
  databaseName: string;
  roleName: string;
}

export interface JobContext {
  neon: NeonClient;
  store: RewindStore;
  hub: RestoreHub;
  poll: PollSettings;
  model: DurationModel;
  sleep: (ms: number) => Promise<void>;
  newId: () => string;
  /** How long the project lock outlives a silent instance (ms); the job renews it at a third of this. */
  leaseMs: number;
  onRestored?:
    | ((event: { projectId: string; version: StoredVersion; branchId: string }) => void | Promise<void>)
    | undefined;
}

export interface RestorePlan {
  restoreId: string;
  token: string;
  lockHolderId: string;
  version: StoredVersion;
  /** Snapshot the live branch first so this restore can be undone. */
  undoable: boolean;
  /** Promote this preview (finalize it) instead of restoring from the snapshot. */
  preview?: StoredPreview | undefined;
}

const WEIGHT: Record<RestorePhase, number> = {
  'undo-snapshot': 15,
  restoring: 55,
  finalizing: 20,
  cleanup: 10,
};
const COMPUTE_ACTIONS = new Set(['suspend_compute', 'start_compute', 'apply_config']);
// Errors that leave open whether Neon received the restore call: no answer, or an unexpected one.
const UNANSWERED = new Set(['neon_unavailable', 'timeout', 'internal']);

/**
 * Run one restore to the end and record every step as an event. Never throws: failures become
 * a `restore.failed` event, half-done Neon state is undone, and the project lock is released.
 */
export async function runRestore(ctx: JobContext, target: ProjectTarget, plan: RestorePlan): Promise<void> {
  const { neon, store, hub } = ctx;
  const { projectId } = target;
  const phases = RESTORE_PHASES.filter((phase) => plan.undoable || phase !== 'undo-snapshot');
  const totalWeight = phases.reduce((sum, phase) => sum + WEIGHT[phase], 0);
  const doneWeight = new Map<RestorePhase, number>();
  let nextId = 1;
  const emit = (event: Omit<RestoreEvent, 'id'>) =>
    hub.publish(projectId, plan.restoreId, { ...event, id: nextId++ } as RestoreEvent);

  const progress = async (phase: RestorePhase, settled: number, total: number) => {
    doneWeight.set(phase, total === 0 ? WEIGHT[phase] : (WEIGHT[phase] * settled) / total);
    const sum = [...doneWeight.values()].reduce((a, b) => a + b, 0);
    await emit({
      event: RESTORE_EVENT.progress,
      data: { phase, progress: Math.min(1, sum / totalWeight), settled, total },
    });
  };

  const follow = async (operations: Operation[], phaseOf: (op: Operation) => RestorePhase, urgent = true) => {
    const settled = new Set<string>();
    const counts = new Map<RestorePhase, number>();
    for (const op of operations) counts.set(phaseOf(op), (counts.get(phaseOf(op)) ?? 0) + 1);
    return watchOperations(neon, projectId, operations, {
      settings: ctx.poll,
      model: ctx.model,
      sleep: ctx.sleep,
      urgent,
      onChange: async (op) => {
        const phase = phaseOf(op);
        await emit({
          event: RESTORE_EVENT.operation,
          data: { operationId: op.id, action: op.action, status: op.status, phase },
        });
        if ((op.status === 'finished' || op.status === 'skipped') && !settled.has(op.id)) {
          settled.add(op.id);
          const inPhase = operations.filter((o) => phaseOf(o) === phase && settled.has(o.id)).length;
          await progress(phase, inPhase, counts.get(phase) ?? 0);
        }
      },
    });
  };

  // Keep the project's lock while this job runs; it lapses soon after a crashed instance.
  const lease = setInterval(
    () => void store.renewLock(projectId, plan.lockHolderId, ctx.leaseMs).catch(() => undefined),
    ctx.leaseMs / 3,
  );
  const undoId = plan.undoable ? ctx.newId() : null;
  let undoVersion: StoredVersion | undefined;
  let liveBefore: string | undefined;
  let restoredBranch: string | undefined;
  let undoRequested = false;
  let restoreCalled = false;
  let finalized = false;
  try {
    await emit({
      event: RESTORE_EVENT.started,
      data: {
        versionId: plan.version.id,
        token: plan.token,
        undoVersionId: null,
        startedAt: new Date().toISOString(),
      },
    });
    // Resolved now, by name: the live branch's id changes with every restore.
    const live = await neon.findBranchByName(projectId, target.branchName);
    if (!live)
      throw new RewindError('not_found', `Live branch "${target.branchName}" not found in the project`);
    const state = await store.getProjectState(projectId);
    // An earlier restore's outcome is still open (the sweep above could not settle it): it is
    // judged against the live branch it replaced, so nothing may replace that branch first.
    if (state.pendingRestores.length > 0) {
      throw new RewindError('locked', 'An earlier restore of this project is still being settled', {
        details: { retryable: true },
      });
    }
    liveBefore = live.id;
    // Write-ahead: before Neon is asked for anything, so a restore cut short anywhere after this
    // is found and settled by the sweep (see reconcile-restores.ts).
    await updatePending(store, projectId, plan.restoreId, {
      restoreId: plan.restoreId,
      versionId: plan.version.id,
      liveBeforeId: live.id,
      restoredBranchId: null,
      undoVersionId: undoId,
      preview: plan.preview ? { id: plan.preview.id, branchId: plan.preview.branchId } : null,
    });

    if (undoId) {
      const id = undoId;
      undoRequested = true;
      const snap = await neon.createSnapshot(projectId, live.id, { name: `rewind-${id}` });
      undoVersion = {
        id,
        projectId,
        label: `Before restoring “${plan.version.label}”`,
        prompt: null,
        codeRef: null,
        parentId: state.currentVersionId,
        snapshotId: snap.snapshot.id,
        kind: 'pre-restore',
        createdAt: new Date().toISOString(),
        expiresAt: null,
        metadata: {},
      };
      await store.insertVersion(undoVersion);
      await follow(snap.operations, () => 'undo-snapshot', false);
      if (snap.operations.length === 0) await progress('undo-snapshot', 0, 0);
    }

    let operations: Operation[];
    const preview = plan.preview;
    const previewBranch = preview
      ? await neon.getBranch(projectId, preview.branchId).catch(() => undefined)
      : undefined;
    if (preview && previewBranch?.restored_as === live.id && previewBranch.restore_status === 'restored') {
      // The preview already holds the data: finalizing it is the fast path.
      restoredBranch = preview.branchId;
      await updatePending(store, projectId, plan.restoreId, { restoredBranchId: restoredBranch });
      restoreCalled = true;
      operations = await neon.finalizeRestore(projectId, preview.branchId);
      await progress('restoring', 0, 0);
    } else {
      restoreCalled = true;
      const restored = await neon.restoreSnapshot(projectId, plan.version.snapshotId, {
        target_branch_id: live.id,
        finalize_restore: true,
      });
      restoredBranch = restored.branch.id;
      await updatePending(store, projectId, plan.restoreId, { restoredBranchId: restoredBranch });
      operations = restored.operations;
    }
    // The "(old)" branch's deletion follows, and its end is what the user waits for.
    await follow(operations, (op) => (COMPUTE_ACTIONS.has(op.action) ? 'finalizing' : 'restoring'), false);
    for (const phase of ['restoring', 'finalizing'] as const)
      if (!doneWeight.has(phase)) await progress(phase, 0, 0);

    // Verify before reporting: the live name must now point at the restored branch. The same
    // list shows what became of the replaced branch, for its cleanup.
    const branches = await neon.listBranches(projectId);
    const liveAfter = branches.find((branch) => branch.name === target.branchName);
    if (liveAfter?.id !== restoredBranch) {
      throw new RewindError(
        'operation_failed',
        'Neon finished the operations but the live branch was not replaced',
      );
    }
    finalized = true;
    // Logged before the state changes, so a follower of a restore that dies after the write
    // below can tell it took effect (routes/sse.ts).
    await emit({
      event: RESTORE_EVENT.finalized,
      data: { branchId: restoredBranch, versionId: plan.version.id, undoVersionId: undoVersion?.id ?? null },
    });
    // A promoted preview's record goes first: its branch may be live now, and an expired
    // preview's branch is deleted by the sweep.
    if (preview) await store.deletePreview(projectId, preview.id);
    const stalePreview = preview && restoredBranch !== preview.branchId ? preview.branchId : null;
    const leftovers = stalePreview ? [live.id, stalePreview] : [live.id];
    // The outcome, the end of the intent and the branches still to delete, in one write: if this
    // instance dies from here on, the sweep deletes them.
    const settledState = await store.getProjectState(projectId);
    await store.updateProjectState(projectId, {
      currentVersionId: plan.version.id,
      undoVersionId: undoVersion?.id ?? state.undoVersionId,
      pendingRestores: settledState.pendingRestores.filter((p) => p.restoreId !== plan.restoreId),
      pendingCleanup: [...settledState.pendingCleanup.filter((id) => !leftovers.includes(id)), ...leftovers],
    });

    const old = branches.find((branch) => branch.id === live.id);
    await cleanupOldBranch(ctx, target, live.id, old, emit, (ops) => follow(ops, () => 'cleanup'));
    if (stalePreview) {
      // Left in pendingCleanup for the sweep if Neon refuses now.
      await ctx.neon
        .deleteBranch(projectId, stalePreview)
        .then(() => forget(ctx, projectId, stalePreview))
        .catch(() => undefined);
    }
    if (!doneWeight.has('cleanup')) await progress('cleanup', 0, 0);

    await emit({
      event: RESTORE_EVENT.succeeded,
      data: {
        versionId: plan.version.id,
        undoVersionId: undoVersion?.id ?? null,
        branchId: restoredBranch,
        finishedAt: new Date().toISOString(),
      },
    });
    await Promise.resolve(
      ctx.onRestored?.({ projectId, version: plan.version, branchId: restoredBranch }),
    ).catch(() => undefined);
  } catch (caught) {
    const error = RewindError.is(caught)
      ? caught
      : new RewindError('internal', 'The restore failed unexpectedly', { cause: caught });
    if (!finalized) {
      // It did not happen if Neon was never asked, refused, or ended an operation in `error` or
      // `cancelled`. After a deadline or a lost answer Neon may still finish it: the intent
      // stays, and the sweep settles it from what Neon shows.
      const status = error.details?.status;
      const open =
        restoreCalled &&
        (restoredBranch === undefined
          ? UNANSWERED.has(error.code)
          : !(error.code === 'operation_failed' && (status === 'error' || status === 'cancelled')));
      if (!open) {
        const undo = undoRequested ? undoId : null;
        await rollBack(ctx, projectId, target, liveBefore, restoredBranch, plan.preview, undo);
        await updatePending(store, projectId, plan.restoreId, null).catch(() => undefined);
      }
    }
    await emit({ event: RESTORE_EVENT.failed, data: error.toJSON() }).catch(() => undefined);
  } finally {
    clearInterval(lease);
    await store.releaseLock(projectId, plan.lockHolderId).catch(() => undefined);
    hub.end(plan.restoreId);
  }
}

/**
 * Delete the "(old)" branch the restore left behind, after checking it really is the replaced
 * branch (never by name alone). It is already in `pendingCleanup`: it leaves the list once
 * deleted (or found not to be ours to delete); after a failure the next sweep retries.
 */
async function cleanupOldBranch(
  ctx: JobContext,
  target: ProjectTarget,
  oldId: string,
  old: Branch | undefined,
  emit: (event: Omit<RestoreEvent, 'id'>) => Promise<void>,
  follow: (ops: Operation[]) => Promise<Operation[]>,
): Promise<void> {
  if (!old || old.name === target.branchName || old.default) {
    await forget(ctx, target.projectId, oldId);
    return;
  }
  await emit({ event: RESTORE_EVENT.cleanup, data: { branchName: old.name, status: 'started' } });
  try {
    await follow(await ctx.neon.deleteBranch(target.projectId, oldId));
    await forget(ctx, target.projectId, oldId);
    await emit({ event: RESTORE_EVENT.cleanup, data: { branchName: old.name, status: 'done' } });
  } catch {
    await emit({ event: RESTORE_EVENT.cleanup, data: { branchName: old.name, status: 'failed' } });
  }
}

// Undo what a failed restore left: a restored branch that never replaced the live one, and the
// pre-restore version taken for nothing. Best effort; what cannot be deleted now is swept later.
async function rollBack(
  ctx: JobContext,
  projectId: string,
  target: ProjectTarget,
  liveBefore: string | undefined,
  restoredBranch: string | undefined,
  preview: StoredPreview | undefined,
  undoId: string | null,
): Promise<void> {
  const live = await ctx.neon.findBranchByName(projectId, target.branchName).catch(() => undefined);
  if (restoredBranch && live?.id === liveBefore && restoredBranch !== preview?.branchId) {
    await deleteOrRemember(ctx, projectId, restoredBranch);
  }
  if (undoId) await discardUndoVersion(ctx, projectId, undoId).catch(() => undefined);
}

/**
 * Remove a pre-restore version that was taken for nothing: its row and its Neon snapshot. The
 * snapshot is found by its name when the row was never written (cut short between the two).
 */
export async function discardUndoVersion(
  ctx: Pick<JobContext, 'neon' | 'store'>,
  projectId: string,
  undoId: string,
): Promise<void> {
  const version = await ctx.store.getVersion(projectId, undoId);
  const snapshotId =
    version?.snapshotId ??
    (await ctx.neon.listSnapshots(projectId)).find((snap) => snap.name === `rewind-${undoId}`)?.id;
  if (snapshotId) await ctx.neon.deleteSnapshot(projectId, snapshotId);
  if (version) await ctx.store.deleteVersion(projectId, undoId);
}

/** Write, update (`patch`) or end (`null`) a restore's intent in the project state. */
export async function updatePending(
  store: RewindStore,
  projectId: string,
  restoreId: string,
  patch: Partial<PendingRestore> | null,
): Promise<void> {
  const { pendingRestores } = await store.getProjectState(projectId);
  const existing = pendingRestores.find((p) => p.restoreId === restoreId);
  const others = pendingRestores.filter((p) => p.restoreId !== restoreId);
  const next = patch === null ? others : [...others, { ...existing, ...patch } as PendingRestore];
  await store.updateProjectState(projectId, { pendingRestores: next });
}

export async function deleteOrRemember(
  ctx: Pick<JobContext, 'neon' | 'store'>,
  projectId: string,
  branchId: string,
) {
  try {
    await ctx.neon.deleteBranch(projectId, branchId);
  } catch {
    await remember(ctx, projectId, branchId);
  }
}

async function forget(ctx: Pick<JobContext, 'store'>, projectId: string, branchId: string): Promise<void> {
  const state = await ctx.store.getProjectState(projectId);
  if (state.pendingCleanup.includes(branchId)) {
    await ctx.store.updateProjectState(projectId, {
      pendingCleanup: state.pendingCleanup.filter((id) => id !== branchId),
    });
  }
}

async function remember(ctx: Pick<JobContext, 'store'>, projectId: string, branchId: string): Promise<void> {
  const state = await ctx.store.getProjectState(projectId);
  if (!state.pendingCleanup.includes(branchId)) {
    await ctx.store.updateProjectState(projectId, { pendingCleanup: [...state.pendingCleanup, branchId] });
  }
}
