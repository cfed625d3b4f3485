import { RewindError } from '@rewind/protocol';
import { type Core, settleOperations } from '../core';
import type { Lease } from '../restore/lease';
import type { StoredPreview } from '../stores/store';

/**
 * Remove a preview under the project lock held by `lease`: hidden first (expired), then its
 * branch, then its row. If the branch's deletion or the row's fails (or Neon deletes the branch
 * after a timed-out call), the preview stays hidden and the next sweep finishes it, as for any
 * expired preview; a row never outlives its branch in view.
 */
export async function dropPreview(core: Core, lease: Lease, preview: StoredPreview): Promise<void> {
  const { projectId } = preview;
  const expired = new Date((await core.store.now()) - 1).toISOString();
  await core.store.putPreview({ ...preview, expiresAt: expired }, lease.fence);
  try {
    await settleOperations(
      core,
      projectId,
      await core.neon.deleteBranch(projectId, preview.branchId, lease.guard(core.neon.timeoutMs)),
    );
  } catch (error) {
    if (!(RewindError.is(error) && error.code === 'not_found')) throw error;
  }
  await core.store.deletePreview(projectId, preview.id, lease.fence);
}

/**
 * Make room for a restore that Neon refused for its root-branch limit: every preview is a root
 * branch, and a restore needs one more while it swaps. Previews are throwaway views (they expire
 * anyway); the restore is what the user asked for. Drops the oldest open preview other than
 * `keep` (the one being promoted) and answers whether it dropped one.
 */
export async function dropOldestPreview(core: Core, lease: Lease, projectId: string, keep?: string) {
  const previews = (await core.store.listPreviews(projectId))
    .filter((p) => p.id !== keep)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const oldest = previews[0];
  if (!oldest) return false;
  await dropPreview(core, lease, oldest);
  core.report(new RewindError('quota_exceeded', 'A preview was discarded to make room for a restore'), {
    where: 'restore: root branches full',
    projectId,
    previewId: oldest.id,
  });
  return true;
}
