import { type CreatePreviewResponse, type Preview, RewindError, type SchemaDiff } from '@rewind/protocol';
import { type Core, settleOperations } from '../core';
import type { Branch } from '../neon/neon-client';
import type { Lease } from '../restore/lease';
import { summarizeSchemaDiff } from '../restore/schema-diff';
import type { StoredPreview } from '../stores/store';
import type { ProjectTarget } from '../types';
import { dropPreview } from './preview-branch';
import { type StartedRestore, startRestore } from './restores';
import { planPruning } from './retention';
import { changesOf, diffFromStoredSchema } from './schemas';
import { withLock } from './settle';
import { isRewindId, versionOrThrow } from './versions';

export function toWirePreview(preview: StoredPreview): Preview {
  return {
    id: preview.id,
    versionId: preview.versionId,
    createdAt: preview.createdAt,
    expiresAt: preview.expiresAt,
    state: 'ready',
  };
}

/**
 * Materialize a version in a new branch (restore with finalize_restore: false) and diff its
 * schema against the live branch, under the project lock. The branch is recorded by name before
 * Neon makes it; on failure it is deleted (or left to the sweep).
 */
async function openPreviewBranch(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  snapshotId: string,
  name: string,
): Promise<{ branch: Branch; diff: SchemaDiff }> {
  const { projectId } = target;
  const live = await core.neon.findBranchByName(projectId, target.branchName);
  if (!live)
    throw new RewindError('not_found', `Live branch "${target.branchName}" not found in the project`);
  await core.store.patchProjectState(
    projectId,
    { createsAdd: [{ kind: 'branch', name, versionId: null, at: await core.store.now() }] },
    lease.fence,
  );
  const restored = await core.neon.restoreSnapshot(
    projectId,
    snapshotId,
    { target_branch_id: live.id, finalize_restore: false, name },
    lease.guard(core.neon.timeoutMs),
  );
  try {
    await settleOperations(core, projectId, restored.operations);
    // "What to apply to live to get this version": a restored root branch has no parent, so
    // the base must be given explicitly (neon-api.md §2.11).
    const text = await core.neon.compareSchema(projectId, restored.branch.id, live.id, target.databaseName);
    let diff = summarizeSchemaDiff(text);
    if (!diff.complete) {
      // A hunk's 3 lines of context did not show some change's table: the version's own schema
      // places every line (one more request, only for diffs that need it).
      const schema = await core.neon.branchSchema(projectId, restored.branch.id, target.databaseName);
      diff = summarizeSchemaDiff(text, schema);
    }
    return { branch: restored.branch, diff };
  } catch (error) {
    await dropBranch(core, projectId, lease, restored.branch.id, name);
    throw error;
  }
}

/** Delete a branch Rewind made; if Neon refuses, it stays pending for the sweep. */
async function dropBranch(core: Core, projectId: string, lease: Lease, branchId: string, name: string) {
  try {
    await settleOperations(core, projectId, await core.neon.deleteBranch(projectId, branchId));
    await core.store.patchProjectState(projectId, { createsRemove: [name] }, lease.fence);
  } catch (error) {
    core.report(error, { where: 'drop branch', projectId, branchId });
    await core.store
      .patchProjectState(projectId, { cleanupAdd: [branchId], createsRemove: [name] }, lease.fence)
      .catch(() => undefined);
  }
}

/** Whether a restore of the version could take an undo point now (store reads only). */
export async function restoreUndoable(
  core: Core,
  target: ProjectTarget,
  versionId: string,
): Promise<boolean> {
  return (await planPruning(core, target.projectId, 1, [versionId])).fits;
}

/**
 * Schema diff of a version against live: from the version's stored schema (one Neon request, no
 * branch, no lock); for a version without one, through a throwaway branch (deleted before
 * answering).
 */
export async function diffVersion(core: Core, target: ProjectTarget, versionId: string): Promise<SchemaDiff> {
  const version = await versionOrThrow(core, target.projectId, versionId);
  const local = await diffFromStoredSchema(core, target, version);
  if (local) return local;
  return withLock(core, target, async (lease) => {
    const name = `rewind-diff-${core.newId()}`;
    const opened = await openPreviewBranch(core, target, lease, version.snapshotId, name);
    await dropBranch(core, target.projectId, lease, opened.branch.id, name);
    return opened.diff;
  });
}

/** What a version changed in the schema against its parent (stored schemas; no Neon request). */
export async function versionChanges(
  core: Core,
  target: ProjectTarget,
  versionId: string,
): Promise<SchemaDiff | null> {
  return changesOf(core, target, await versionOrThrow(core, target.projectId, versionId));
}

/** Open a preview of a version: its own branch, kept until promoted, discarded or expired. */
export async function createPreview(
  core: Core,
  target: ProjectTarget,
  versionId: string,
): Promise<CreatePreviewResponse> {
  const version = await versionOrThrow(core, target.projectId, versionId);
  return withLock(core, target, async (lease) => {
    const id = core.newId();
    const name = `rewind-preview-${id}`;
    const opened = await openPreviewBranch(core, target, lease, version.snapshotId, name);
    const now = core.runtime.clock();
    const preview: StoredPreview = {
      id,
      projectId: target.projectId,
      versionId: version.id,
      branchId: opened.branch.id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + core.settings.previewTtlMs).toISOString(),
    };
    // The row first, then the adoption: the sweep never deletes a branch a preview row names.
    await core.store.putPreview(preview, lease.fence);
    await core.store.patchProjectState(target.projectId, { createsRemove: [name] }, lease.fence);
    const hook = core.options.hooks?.onPreviewReady;
    if (hook) {
      // Server-side only: the connection string goes to the platform's hook, never the response.
      const connectionUri = await core.neon.connectionUri(
        target.projectId,
        opened.branch.id,
        target.databaseName,
        target.roleName,
      );
      await Promise.resolve(hook({ projectId: target.projectId, preview, connectionUri })).catch((error) =>
        core.report(error, { where: 'onPreviewReady hook', projectId: target.projectId }),
      );
    }
    return { preview: toWirePreview(preview), diff: opened.diff };
  });
}

/** A preview's connection string: for the platform's server-side code only. */
export async function previewConnectionUri(
  core: Core,
  target: ProjectTarget,
  previewId: string,
): Promise<string> {
  const preview = await previewOrThrow(core, target.projectId, previewId);
  return core.neon.connectionUri(target.projectId, preview.branchId, target.databaseName, target.roleName);
}

/** Open previews; one past its expiry (or being discarded) is the sweep's, never shown. */
export async function listPreviews(core: Core, target: ProjectTarget): Promise<Preview[]> {
  const [previews, now] = await Promise.all([core.store.listPreviews(target.projectId), core.store.now()]);
  return previews.filter((preview) => Date.parse(preview.expiresAt) > now).map(toWirePreview);
}

async function previewOrThrow(core: Core, projectId: string, id: string): Promise<StoredPreview> {
  const preview = isRewindId(id) ? await core.store.getPreview(projectId, id) : null;
  if (!preview || Date.parse(preview.expiresAt) <= (await core.store.now()))
    throw new RewindError('not_found', 'No such preview (discarded or expired)');
  return preview;
}

/** Make a preview the live database (finalize its branch): a restore, followed like any other. */
export async function promotePreview(
  core: Core,
  target: ProjectTarget,
  previewId: string,
  keepAlive?: (job: Promise<void>) => void,
): Promise<StartedRestore> {
  const preview = await previewOrThrow(core, target.projectId, previewId);
  const version = await versionOrThrow(core, target.projectId, preview.versionId);
  return startRestore(core, target, version, { kind: 'promote', undoable: true, preview }, keepAlive);
}

export async function discardPreview(core: Core, target: ProjectTarget, previewId: string): Promise<void> {
  await withLock(core, target, async (lease) =>
    dropPreview(core, lease, await previewOrThrow(core, target.projectId, previewId)),
  );
}
