import { RewindError } from '@rewind/protocol';
import { type Core, settleOperations } from '../core';
import type { Branch, Snapshot } from '../neon/neon-client';
import type { Lease } from '../restore/lease';
import { isLeaseLost, landingWindowMs, listBranchesExpecting, recover } from '../restore/restore-machine';
import type { StatePatch } from '../stores/store';
import type { ProjectTarget } from '../types';
import { dropVersionRow } from './retention';

/**
 * Finish what earlier requests could not, under the project lock held by `lease`: settle
 * restores whose job is gone, adopt a restore that landed after Rewind gave up on it, delete
 * branches whose cleanup failed, resources whose creator died before recording them, and
 * previews past their expiry. Each part that fails is reported and retried by the next sweep.
 */
export async function sweep(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  options: { except?: string } = {},
): Promise<Branch | undefined> {
  const { projectId } = target;
  const { store, neon } = core;
  const openRestores = async () =>
    (await store.listRestores(projectId, { open: true })).filter((r) => r.id !== options.except);
  const guarded = async (where: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      if (isLeaseLost(error)) throw error;
      core.report(error, { where, projectId });
    }
  };

  let open = await openRestores();
  for (const record of open) await guarded('recover restore', () => recover(core, record, lease));
  if (open.length > 0) open = await openRestores();

  const state = await store.getProjectState(projectId);
  let branches: Branch[] | null = null;
  await guarded('sweep: list branches', async () => {
    // A list that disagrees with the recorded live branch is read again before anything acts
    // on it: right after a swap Neon's list can still show the old branch live.
    branches = await listBranchesExpecting(core, projectId, target.branchName, state.liveBranchId);
  });
  const all = branches as Branch[] | null;
  const live = all?.find((branch) => branch.name === target.branchName);
  const patch: Required<Pick<StatePatch, 'cleanupRemove' | 'createsRemove' | 'cleanupAdd'>> & StatePatch = {
    cleanupAdd: [],
    cleanupRemove: [],
    createsRemove: [],
  };

  // A restore call that landed after its restore was concluded "not done" (an instance paused
  // beyond every bound): Neon is the truth, so the record follows it rather than contradict it.
  let unrecorded: { adoptedVersionId: string | null } | null = null;
  if (open.length === 0 && live && state.liveBranchId && live.id !== state.liveBranchId) {
    const version =
      live.restored_as === state.liveBranchId && live.restored_from
        ? (await store.listVersions(projectId)).find((v) => v.snapshotId === live.restored_from)
        : undefined;
    if (version) {
      Object.assign(patch, { currentVersionId: version.id, liveBranchId: live.id, undoVersionId: null });
      patch.cleanupAdd.push(state.liveBranchId);
    } else {
      // Replaced out of band (another tool restored or reset it): it matches no version we know.
      Object.assign(patch, { currentVersionId: null, liveBranchId: live.id, undoVersionId: null });
    }
    unrecorded = { adoptedVersionId: version?.id ?? null };
  }

  if (all && live) {
    for (const branchId of [...state.pendingCleanup, ...patch.cleanupAdd]) {
      // Never the live branch, whatever the list says: a deletion cannot be undone.
      if (branchId === live.id || !all.some((b) => b.id === branchId)) {
        patch.cleanupRemove.push(branchId);
        continue;
      }
      await guarded('sweep: delete branch', async () => {
        await settleOperations(
          core,
          projectId,
          await neon.deleteBranch(projectId, branchId, lease.guard(neon.timeoutMs)),
        );
        patch.cleanupRemove.push(branchId);
      });
    }
  }

  // Resources recorded before creation whose creator never adopted them. Not while a restore is
  // open (its undo point is among them), and not before a paused creator's call could still land.
  if (open.length === 0 && state.pendingCreates.length > 0 && all && live) {
    const now = await store.now();
    let snapshots: Snapshot[] | null = null;
    const previewBranches = new Set((await store.listPreviews(projectId)).map((p) => p.branchId));
    for (const pending of state.pendingCreates) {
      const age = now - pending.at;
      if (pending.kind === 'deletion') {
        // A deletion cut short: nothing can still be on its way to Neon that the deleter did not
        // already ask for, so it is finished now (a deletion is idempotent).
        await guarded('sweep: unfinished deletion', async () => {
          const versions = await store.listVersions(projectId);
          const own = versions.find((v) => v.id === pending.versionId);
          if (own && !versions.some((v) => v !== own && v.snapshotId === own.snapshotId)) {
            snapshots ??= await neon.listSnapshots(projectId);
            if (snapshots.some((s) => s.id === own.snapshotId))
              await settleOperations(
                core,
                projectId,
                await neon.deleteSnapshot(projectId, own.snapshotId, lease.guard(neon.timeoutMs)),
              );
          }
          if (own) await dropVersionRow(core, projectId, own.id, lease.fence);
          patch.createsRemove.push(pending.name);
        });
        continue;
      }
      if (age < core.leaseMs + neon.timeoutMs) continue;
      await guarded('sweep: abandoned create', async () => {
        if (pending.kind === 'snapshot') {
          snapshots ??= await neon.listSnapshots(projectId);
          // Names need not be unique on Neon (its CLI asks for an id "when multiple snapshots are
          // named" alike): every snapshot of this name that no other version holds goes. The
          // abandoned version's own row does not protect its snapshot (an undo point whose
          // discard Neon refused has both): row and snapshot go together.
          const versions = await store.listVersions(projectId);
          const own = versions.find((v) => v.id === pending.versionId);
          const referenced = new Set(versions.filter((v) => v !== own).map((v) => v.snapshotId));
          const named = snapshots.filter(
            (s) => (s.name === pending.name || s.id === own?.snapshotId) && !referenced.has(s.id),
          );
          // Not there yet may be a create still on its way: forgotten only after its landing window.
          if (named.length === 0 && age < landingWindowMs(core)) return;
          // Gone only once Neon's operation finished: a failed deletion keeps the entry for next time.
          for (const snapshot of named)
            await settleOperations(
              core,
              projectId,
              await neon.deleteSnapshot(projectId, snapshot.id, lease.guard(neon.timeoutMs)),
            );
          if (pending.versionId) await store.deleteVersion(projectId, pending.versionId, lease.fence);
        } else {
          const branch = all.find((b) => b.name === pending.name);
          if (!branch && age < landingWindowMs(core)) return;
          if (branch && branch.id !== live.id && !previewBranches.has(branch.id))
            await settleOperations(
              core,
              projectId,
              await neon.deleteBranch(projectId, branch.id, lease.guard(neon.timeoutMs)),
            );
        }
        patch.createsRemove.push(pending.name);
      });
    }
  }

  const changed =
    patch.cleanupRemove.length + patch.createsRemove.length + patch.cleanupAdd.length > 0 ||
    patch.currentVersionId !== undefined;
  if (changed) {
    // A branch adopted for cleanup and deleted in this sweep is both added and removed: removal wins.
    await store.patchProjectState(projectId, patch, lease.fence);
  }
  // Said only once the fenced write took: a sweep whose lease ran out mid-way (paused) read a
  // state that a later holder has changed since, and what it concluded from it is void.
  if (unrecorded)
    core.report(new RewindError('conflict', 'The live branch changed without Rewind recording it'), {
      where: 'sweep: unrecorded live branch',
      projectId,
      ...unrecorded,
    });

  const now = await store.now();
  for (const preview of await store.listPreviews(projectId)) {
    if (Date.parse(preview.expiresAt) > now) continue;
    await guarded('sweep: expired preview', async () => {
      try {
        await settleOperations(
          core,
          projectId,
          await neon.deleteBranch(projectId, preview.branchId, lease.guard(neon.timeoutMs)),
        );
      } catch (error) {
        if (isLeaseLost(error)) throw error;
        await store.patchProjectState(projectId, { cleanupAdd: [preview.branchId] }, lease.fence);
      }
      await store.deletePreview(projectId, preview.id, lease.fence);
    });
  }
  // The live branch as this sweep read it (after recovery, and never deleted by it): a restore
  // starting under the same lease resolves its live branch from this, not from another request.
  return live;
}

// How Rewind names its snapshots (`rewind-<version id>`); a deletion's entry name is no snapshot.
const REWIND_SNAPSHOT = /^rewind-(?!delete-)[\w-]{1,100}$/;

/** A snapshot of Rewind's that no version row holds and no write-ahead entry names. */
export function isStraySnapshot(
  snapshot: Pick<Snapshot, 'id' | 'name'>,
  versions: readonly { snapshotId: string }[],
  pendingCreates: readonly { name: string }[],
): boolean {
  return (
    REWIND_SNAPSHOT.test(snapshot.name) &&
    !versions.some((v) => v.snapshotId === snapshot.id) &&
    !pendingCreates.some((p) => p.name === snapshot.name)
  );
}

/**
 * Delete snapshots Rewind made that nothing accounts for: a `rewind-…` name that no version
 * row holds and no write-ahead entry names. Every create is recorded before its call and
 * un-recorded only with its row (or after deleting what it made), so under the lock such a
 * snapshot can only be a call that landed late (an instance paused mid-request, a request Neon
 * finished after the client gave up) after its creator's work was adopted or undone. Others'
 * snapshots (other names) are never touched. Returns how many went.
 */
export async function deleteStraySnapshots(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  snapshots?: Snapshot[],
): Promise<number> {
  const { projectId } = target;
  const [listed, versions, state] = await Promise.all([
    snapshots ?? core.neon.listSnapshots(projectId),
    core.store.listVersions(projectId),
    core.store.getProjectState(projectId),
  ]);
  const strays = listed.filter((s) => isStraySnapshot(s, versions, state.pendingCreates));
  let deleted = 0;
  for (const stray of strays) {
    try {
      await settleOperations(
        core,
        projectId,
        await core.neon.deleteSnapshot(projectId, stray.id, lease.guard(core.neon.timeoutMs)),
      );
      deleted++;
    } catch (error) {
      if (isLeaseLost(error)) throw error;
      if (!(RewindError.is(error) && error.code === 'not_found'))
        core.report(error, { where: 'sweep: stray snapshot', projectId, snapshotId: stray.id });
    }
  }
  if (strays.length > 0)
    core.report(new RewindError('conflict', 'Snapshots Rewind made landed after their creator gave up'), {
      where: 'sweep: stray snapshots',
      projectId,
      deleted,
    });
  return deleted;
}
