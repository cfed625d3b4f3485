import { RESTORE_EVENT, RewindError } from '@rewind/protocol';
import type { PendingRestore } from '../stores/store';
import { isSettledOperation } from './operation-watcher';
import { deleteOrRemember, discardUndoVersion, type JobContext, type ProjectTarget } from './restore-job';

/** How a restore ended, or null while Neon does not tell yet. */
type Outcome = { restored: true; branchId: string } | { restored: false } | null;

/**
 * Settle restores whose outcome was open when they ended: a deadline, a lost answer, or the
 * instance running them dying mid-way (their write-ahead intent is all that is left). Neon is
 * the truth: the live branch was replaced by one restored onto it, or it was not. Records the
 * outcome, removes what the restore left behind, and ends the restore's event log so followers
 * hear how it went. While Neon is still busy, the entry waits for the next sweep.
 * Runs under the project lock (the sweep), never beside the job that owns the intent.
 */
export async function reconcilePendingRestores(ctx: JobContext, target: ProjectTarget): Promise<void> {
  const { projectId } = target;
  const { pendingRestores } = await ctx.store.getProjectState(projectId);
  if (pendingRestores.length === 0) return;
  const settled = new Set<string>();
  for (const pending of pendingRestores) {
    try {
      const outcome = await settle(ctx, target, pending);
      if (!outcome) continue;
      settled.add(pending.restoreId);
      await announce(ctx, projectId, pending, outcome);
    } catch {
      // Neon or the store failed us now: the next sweep tries again.
    }
  }
  if (settled.size === 0) return;
  const state = await ctx.store.getProjectState(projectId);
  await ctx.store.updateProjectState(projectId, {
    pendingRestores: state.pendingRestores.filter((p) => !settled.has(p.restoreId)),
  });
}

async function settle(ctx: JobContext, target: ProjectTarget, pending: PendingRestore): Promise<Outcome> {
  const { neon, store } = ctx;
  const { projectId } = target;
  const operations = await neon.listOperations(projectId, 20);
  if (!operations.every(isSettledOperation)) return null;
  const branches = await neon.listBranches(projectId);
  const live = branches.find((branch) => branch.name === target.branchName);
  if (!live) return null;

  // Took effect: the live name now belongs to a branch Neon restored onto the old live one
  // (`restored_as`), which also covers a restore whose answer never reached us.
  if (live.id !== pending.liveBeforeId && live.restored_as === pending.liveBeforeId) {
    const undo = pending.undoVersionId ? await store.getVersion(projectId, pending.undoVersionId) : null;
    const state = await store.getProjectState(projectId);
    await store.updateProjectState(projectId, {
      currentVersionId: pending.versionId,
      undoVersionId: undo?.id ?? state.undoVersionId,
    });
    await deleteOrRemember(ctx, projectId, pending.liveBeforeId);
    if (pending.preview) {
      await store.deletePreview(projectId, pending.preview.id);
      if (pending.preview.branchId !== live.id)
        await deleteOrRemember(ctx, projectId, pending.preview.branchId);
    }
    const version = await store.getVersion(projectId, pending.versionId);
    if (version) {
      await Promise.resolve(ctx.onRestored?.({ projectId, version, branchId: live.id })).catch(
        () => undefined,
      );
    }
    return { restored: true, branchId: live.id };
  }

  if (live.id !== pending.liveBeforeId) return null;
  // Did not take effect: delete any branch restored for it that never went live (previews are
  // kept: they are still the user's to promote or discard), and the undo version taken for nothing.
  const previewBranches = new Set((await store.listPreviews(projectId)).map((p) => p.branchId));
  for (const branch of branches) {
    const leftover =
      branch.id === pending.restoredBranchId ||
      (pending.restoredBranchId === null &&
        branch.restored_as === pending.liveBeforeId &&
        branch.restore_status === 'restored');
    if (leftover && branch.id !== live.id && !previewBranches.has(branch.id))
      await deleteOrRemember(ctx, projectId, branch.id);
  }
  if (pending.undoVersionId) await discardUndoVersion(ctx, projectId, pending.undoVersionId);
  return { restored: false };
}

/** End the restore's event log, unless the job already did (e.g. with a timeout). */
async function announce(
  ctx: JobContext,
  projectId: string,
  pending: PendingRestore,
  outcome: NonNullable<Outcome>,
): Promise<void> {
  await ctx.hub.conclude(projectId, pending.restoreId, async () => {
    if (!outcome.restored) return { event: RESTORE_EVENT.failed, data: interruptedError().toJSON() };
    const undo = pending.undoVersionId ? await ctx.store.getVersion(projectId, pending.undoVersionId) : null;
    return {
      event: RESTORE_EVENT.succeeded,
      data: {
        versionId: pending.versionId,
        undoVersionId: undo?.id ?? null,
        branchId: outcome.branchId,
        finishedAt: new Date().toISOString(),
      },
    };
  });
}

/** What a follower hears about a restore that was cut short and did not take effect. */
export function interruptedError(): RewindError {
  return new RewindError(
    'operation_failed',
    'The restore was interrupted before it took effect; the database was not changed',
    { details: { interrupted: true } },
  );
}
