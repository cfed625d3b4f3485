import {
  RESTORE_EVENT,
  RESTORE_PHASES,
  type RestoreEvent,
  type RestorePhase,
  RewindError,
} from '@rewind/protocol';
import type { NeonClient, Operation } from '../neon/neon-client';
import type { RewindStore, StoredPreview, StoredVersion } from '../stores/store';
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
    () => void store.renewLock(projectId, plan.lockHolderId, 30_000).catch(() => undefined),
    10_000,
  );
  let undoVersion: StoredVersion | undefined;
  let liveBefore: string | undefined;
  let restoredBranch: string | undefined;
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
    liveBefore = live.id;
    const state = await store.getProjectState(projectId);

    if (plan.undoable) {
      const id = ctx.newId();
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
      operations = await neon.finalizeRestore(projectId, preview.branchId);
      await progress('restoring', 0, 0);
    } else {
      const restored = await neon.restoreSnapshot(projectId, plan.version.snapshotId, {
        target_branch_id: live.id,
        finalize_restore: true,
      });
      restoredBranch = restored.branch.id;
      operations = restored.operations;
    }
    // The "(old)" branch's deletion follows, and its end is what the user waits for.
    await follow(operations, (op) => (COMPUTE_ACTIONS.has(op.action) ? 'finalizing' : 'restoring'), false);
    for (const phase of ['restoring', 'finalizing'] as const)
      if (!doneWeight.has(phase)) await progress(phase, 0, 0);

    // Verify before reporting: the live name must now point at the restored branch.
    const liveAfter = await neon.findBranchByName(projectId, target.branchName);
    if (liveAfter?.id !== restoredBranch) {
      throw new RewindError(
        'operation_failed',
        'Neon finished the operations but the live branch was not replaced',
      );
    }
    finalized = true;
    if (preview) await store.deletePreview(projectId, preview.id);
    await store.updateProjectState(projectId, {
      currentVersionId: plan.version.id,
      undoVersionId: undoVersion?.id ?? state.undoVersionId,
    });
    await emit({ event: RESTORE_EVENT.finalized, data: { branchId: restoredBranch } });

    await cleanupOldBranch(ctx, target, live.id, emit, (ops) => follow(ops, () => 'cleanup'));
    if (preview && restoredBranch !== preview.branchId) {
      await deleteOrRemember(ctx, projectId, preview.branchId);
      await store.deletePreview(projectId, preview.id);
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
      // Only an `error`/`cancelled` operation proves the restore did not happen. After a
      // deadline or a lost answer Neon may still finish it: the sweep settles it later.
      const status = error.details?.status;
      const definitive =
        restoredBranch === undefined ||
        (error.code === 'operation_failed' && (status === 'error' || status === 'cancelled'));
      if (definitive) {
        await rollBack(ctx, projectId, target, liveBefore, restoredBranch, plan.preview, undoVersion);
      } else if (liveBefore && restoredBranch) {
        const state = await store.getProjectState(projectId);
        const pending = {
          versionId: plan.version.id,
          liveBeforeId: liveBefore,
          restoredBranchId: restoredBranch,
          undoVersionId: undoVersion?.id ?? null,
        };
        await store.updateProjectState(projectId, { pendingRestores: [...state.pendingRestores, pending] });
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
 * Settle restores whose outcome was unknown when they ended. If the restored branch is live now,
 * the restore took effect: record it and delete the "(old)" branch. If the old branch is still
 * live, it did not: delete the restored branch and the undo version. While Neon is still busy
 * (423 past the retries), the entry waits for the next sweep.
 */
export async function reconcilePendingRestores(
  ctx: Pick<JobContext, 'neon' | 'store'>,
  target: ProjectTarget,
) {
  const { projectId } = target;
  const state = await ctx.store.getProjectState(projectId);
  if (state.pendingRestores.length === 0) return;
  const left: typeof state.pendingRestores = [];
  for (const pending of state.pendingRestores) {
    try {
      const live = await ctx.neon.findBranchByName(projectId, target.branchName);
      if (live?.id === pending.restoredBranchId) {
        const undoVersionId =
          pending.undoVersionId ?? (await ctx.store.getProjectState(projectId)).undoVersionId;
        await ctx.store.updateProjectState(projectId, { currentVersionId: pending.versionId, undoVersionId });
        await ctx.neon.deleteBranch(projectId, pending.liveBeforeId);
      } else if (live?.id === pending.liveBeforeId) {
        await ctx.neon.deleteBranch(projectId, pending.restoredBranchId);
        const undo = pending.undoVersionId
          ? await ctx.store.getVersion(projectId, pending.undoVersionId)
          : null;
        if (undo) {
          await ctx.neon.deleteSnapshot(projectId, undo.snapshotId).catch(() => undefined);
          await ctx.store.deleteVersion(projectId, undo.id);
        }
      } else {
        left.push(pending);
      }
    } catch {
      left.push(pending);
    }
  }
  await ctx.store.updateProjectState(projectId, { pendingRestores: left });
}

/**
 * Delete the "(old)" branch the restore left behind, after checking it really is the replaced
 * branch (never by name alone). A failure is remembered and retried by the next sweep.
 */
async function cleanupOldBranch(
  ctx: JobContext,
  target: ProjectTarget,
  oldId: string,
  emit: (event: Omit<RestoreEvent, 'id'>) => Promise<void>,
  follow: (ops: Operation[]) => Promise<Operation[]>,
): Promise<void> {
  const old = await ctx.neon.getBranch(target.projectId, oldId).catch(() => undefined);
  if (!old || old.name === target.branchName || old.default) return;
  await emit({ event: RESTORE_EVENT.cleanup, data: { branchName: old.name, status: 'started' } });
  try {
    await follow(await ctx.neon.deleteBranch(target.projectId, oldId));
    await emit({ event: RESTORE_EVENT.cleanup, data: { branchName: old.name, status: 'done' } });
  } catch {
    await remember(ctx, target.projectId, oldId);
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
  undoVersion: StoredVersion | undefined,
): Promise<void> {
  const live = await ctx.neon.findBranchByName(projectId, target.branchName).catch(() => undefined);
  if (restoredBranch && live?.id === liveBefore && restoredBranch !== preview?.branchId) {
    await deleteOrRemember(ctx, projectId, restoredBranch);
  }
  if (undoVersion) {
    await ctx.store.deleteVersion(projectId, undoVersion.id).catch(() => undefined);
    await ctx.neon.deleteSnapshot(projectId, undoVersion.snapshotId).catch(() => undefined);
  }
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

async function remember(ctx: Pick<JobContext, 'store'>, projectId: string, branchId: string): Promise<void> {
  const state = await ctx.store.getProjectState(projectId);
  if (!state.pendingCleanup.includes(branchId)) {
    await ctx.store.updateProjectState(projectId, { pendingCleanup: [...state.pendingCleanup, branchId] });
  }
}
