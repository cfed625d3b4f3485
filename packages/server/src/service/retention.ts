import { RewindError } from '@rewind/protocol';
import type { CallGuard } from '../neon/neon-client';
import { type MachineContext, settled } from '../restore/restore-machine';
import type { RetentionSettings } from '../settings';
import type { Fence, StoredVersion } from '../stores/store';

/** What retention needs: the store, Neon, and its resolved rules (the core has them all). */
export interface RetentionContext
  extends Pick<MachineContext, 'neon' | 'store' | 'poll' | 'model' | 'runtime'> {
  settings: { retention: RetentionSettings };
}

/** `expires_at` for a new automatic backup: set at creation, since Neon cannot change it later. */
export function backupExpiresAt(rules: RetentionSettings, now: number): string | undefined {
  if (!Number.isFinite(rules.backupTtlMs)) return undefined;
  return `${new Date(now + rules.backupTtlMs).toISOString().slice(0, 19)}Z`;
}

/**
 * Which versions retention prunes so that `need` more snapshots fit: automatic backups beyond
 * the kept depth always; then, while over the quota (or `maxVersions`), the oldest backups and,
 * only with `maxVersions` set, the oldest versions. Never a pinned version, the offered undo
 * point, a previewed version or one in `protect`. `fits` is false when even that is not enough.
 */
export async function planPruning(
  core: RetentionContext,
  projectId: string,
  need: number,
  protect: readonly string[] = [],
  /**
   * `making: 'backup'`: the snapshots to fit are automatic backups (they count toward `keep`).
   * `onlyToFit`: only what the quota needs now; backups beyond `keep` can go later.
   */
  options: { limit?: number; making?: 'backup' | 'version'; onlyToFit?: boolean } = {},
): Promise<{ victims: StoredVersion[]; fits: boolean; limit: number }> {
  const { keepBackups, maxVersions, quota } = core.settings.retention;
  const [versions, state, previews] = await Promise.all([
    core.store.listVersions(projectId),
    core.store.getProjectState(projectId),
    core.store.listPreviews(projectId),
  ]);
  const kept = new Set<string>([...protect, ...previews.map((p) => p.versionId)]);
  if (state.undoVersionId) kept.add(state.undoVersionId);
  const prunable = (v: StoredVersion) => !v.pinned && !kept.has(v.id);
  const oldestFirst = [...versions].sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
  );
  const backups = oldestFirst.filter((v) => v.kind === 'pre-restore');
  const victims = new Set<string>();
  let excess = options.onlyToFit
    ? 0
    : backups.length + (options.making === 'backup' ? need : 0) - keepBackups;
  for (const backup of backups) {
    if (excess <= 0) break;
    if (prunable(backup)) {
      victims.add(backup.id);
      excess--;
    }
  }
  const limit = options.limit ?? Math.min(quota, maxVersions ?? Number.POSITIVE_INFINITY);
  let count = versions.length - victims.size + need;
  const candidates = [
    ...backups,
    ...(maxVersions !== undefined ? oldestFirst.filter((v) => v.kind !== 'pre-restore') : []),
  ];
  for (const candidate of candidates) {
    if (count <= limit) break;
    if (!victims.has(candidate.id) && prunable(candidate)) {
      victims.add(candidate.id);
      count--;
    }
  }
  return { victims: oldestFirst.filter((v) => victims.has(v.id)), fits: count <= limit, limit };
}

/**
 * Prune what `planPruning` names, under the project lock (`fence`), and say whether `need` more
 * snapshots fit now. A deletion Neon refuses stops here (the version stays, and so does its row).
 */
export async function makeRoom(
  core: RetentionContext,
  projectId: string,
  fence: Fence,
  need: number,
  protect: readonly string[] = [],
  options: { limit?: number; making?: 'backup' | 'version'; onlyToFit?: boolean } = {},
): Promise<boolean> {
  const plan = await planPruning(core, projectId, need, protect, options);
  for (const version of plan.victims) await removeVersion(core, projectId, version, fence);
  return plan.fits;
}

/** The quota error a platform can act on: which quota, its size, and what to do. */
export function snapshotQuotaError(core: RetentionContext, limit: number, cause?: unknown): RewindError {
  return new RewindError(
    'quota_exceeded',
    `The project's ${limit} snapshots are all versions Rewind may not prune`,
    {
      details: {
        quota: 'snapshots',
        limit,
        hint: core.settings.retention.maxVersions
          ? 'Unpin or delete versions'
          : 'Delete or unpin versions, or set retention.maxVersions so that the oldest are pruned',
      },
      ...(cause ? { cause } : {}),
    },
  );
}

/**
 * Delete a version: its Neon snapshot (already gone is fine), then its row and what pointed at
 * it. The intent is recorded first, so a failure between the two (a store error, a timed-out
 * delete that Neon carries out anyway, a crash) never leaves a row whose snapshot is gone: the
 * version is hidden from then on and the next sweep finishes the deletion.
 */
export async function removeVersion(
  core: RetentionContext,
  projectId: string,
  version: StoredVersion,
  fence: Fence | null,
  guard?: CallGuard,
): Promise<void> {
  const name = deletionName(version.id);
  await core.store.patchProjectState(
    projectId,
    { createsAdd: [{ kind: 'deletion', name, versionId: version.id, at: await core.store.now() }] },
    fence,
  );
  try {
    const operations = await core.neon.deleteSnapshot(projectId, version.snapshotId, guard);
    await settled(core, projectId, operations);
  } catch (error) {
    if (!(RewindError.is(error) && error.code === 'not_found')) throw error;
  }
  await dropVersionRow(core, projectId, version.id, fence);
  await core.store.patchProjectState(projectId, { createsRemove: [name] }, fence);
}

/** The pending entry of a version being deleted. */
export const deletionName = (versionId: string) => `rewind-delete-${versionId}`;

/** Remove a version's row (its snapshot is gone), and any state that pointed at it. */
export async function dropVersionRow(
  core: RetentionContext,
  projectId: string,
  id: string,
  fence: Fence | null,
): Promise<void> {
  await core.store.deleteVersion(projectId, id, fence);
  const state = await core.store.getProjectState(projectId);
  const patch: { currentVersionId?: null; undoVersionId?: null } = {};
  if (state.currentVersionId === id) patch.currentVersionId = null;
  if (state.undoVersionId === id) patch.undoVersionId = null;
  if (Object.keys(patch).length > 0) await core.store.patchProjectState(projectId, patch, fence);
}
