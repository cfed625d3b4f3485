import { type RestoreEvent, RewindError } from '@rewind/protocol';
import type { Core } from '../core';
import { newRestoreRecord, runRestore } from '../restore/restore-machine';
import { signRestoreToken, verifyRestoreToken } from '../restore/restore-token';
import type { LockHolder, StoredPreview, StoredVersion } from '../stores/store';
import type { ProjectTarget, RestoreRecord } from '../types';
import { dropOldestPreview } from './preview-branch';
import { acquireProject } from './project-lock';
import { planPruning, snapshotQuotaError } from './retention';
import { settle, settleProject } from './settle';

/** A restore that was started: follow it with its token. */
export interface StartedRestore {
  restoreId: string;
  token: string;
  versionId: string;
}

/**
 * Start a restore (or undo, or preview promotion) of `version` in the background. Exactly one
 * restore per project runs: the store's lock decides, across instances. `keepAlive` receives the
 * job (an edge runtime's `waitUntil`); it never rejects.
 */
export async function startRestore(
  core: Core,
  target: ProjectTarget,
  version: StoredVersion,
  options: { kind: RestoreRecord['kind']; undoable: boolean; preview?: StoredPreview | undefined },
  keepAlive: (job: Promise<void>) => void = () => undefined,
): Promise<StartedRestore> {
  // Room for an undo point (retention may free one), else the restore runs without it, or (with
  // `requireUndo`) not at all, before anything changes.
  let undoable = options.undoable;
  if (undoable) {
    const plan = await planPruning(core, target.projectId, 1, [version.id]);
    if (!plan.fits && core.settings.requireUndo) throw snapshotQuotaError(core, plan.limit);
    undoable = plan.fits;
  }
  const restoreId = core.newId();
  const token = await signRestoreToken(
    {
      projectId: target.projectId,
      restoreId,
      versionId: version.id,
      exp: core.runtime.clock() + core.settings.tokenTtlMs,
    },
    core.options.secret,
  );
  const holder: LockHolder = {
    id: restoreId,
    kind: 'restore',
    versionId: version.id,
    token,
    startedAt: new Date(core.runtime.clock()).toISOString(),
  };
  // The lease renews from here on, so the sweep below runs under a lease someone keeps.
  const lease = await acquireProject(core, target, holder);
  try {
    await stillThere(core, target.projectId, version, options.preview);
  } catch (error) {
    lease.stop();
    await core.store
      .releaseLock(target.projectId, lease.fence)
      .catch((failure) => core.report(failure, { where: 'release lock', restoreId }));
    throw error;
  }
  core.hub.begin(restoreId);
  const record = newRestoreRecord({
    id: restoreId,
    target,
    kind: options.kind,
    version,
    token,
    holderId: restoreId,
    undoVersionId: undoable ? core.newId() : null,
    preview: options.preview ? { id: options.preview.id, branchId: options.preview.branchId } : null,
    createdAt: holder.startedAt,
    steps: core.restoreSteps(),
  });
  // Its Neon requests come first in the deployment's budget: a user is watching, the project is locked.
  const job = runRestore(
    { ...core, neon: core.neon.withPriority('restore') },
    record,
    lease,
    () => settle(core, target, lease, { by: 'restore', restoreId }),
    () => dropOldestPreview(core, lease, target.projectId, options.preview?.id),
  )
    .catch((error) => core.report(error, { where: 'restore job', restoreId }))
    .finally(async () => {
      lease.stop();
      await core.store
        .releaseLock(target.projectId, lease.fence)
        .catch((error) => core.report(error, { where: 'release lock', restoreId }));
      core.hub.end(restoreId);
    });
  keepAlive(core.background(job));
  return { restoreId, token, versionId: version.id };
}

/**
 * The version and preview were read before the lock, and a deletion or discard that held it
 * may have removed them since: read again under the lease, or a restore would name a deleted
 * version current.
 */
async function stillThere(
  core: Core,
  projectId: string,
  version: StoredVersion,
  preview: StoredPreview | undefined,
): Promise<void> {
  if (!(await core.store.getVersion(projectId, version.id)))
    throw new RewindError('not_found', 'No such version (it was deleted)');
  if (!preview) return;
  const fresh = await core.store.getPreview(projectId, preview.id);
  if (!fresh || Date.parse(fresh.expiresAt) <= (await core.store.now()))
    throw new RewindError('not_found', 'No such preview (discarded or expired)');
}

/** Undo the last restore: restore the version it took first. An undo is itself undoable. */
export async function undoRestore(
  core: Core,
  target: ProjectTarget,
  keepAlive?: (job: Promise<void>) => void,
): Promise<StartedRestore> {
  const state = await core.store.getProjectState(target.projectId);
  const version = state.undoVersionId
    ? await core.store.getVersion(target.projectId, state.undoVersionId)
    : null;
  if (!version) throw new RewindError('not_found', 'There is no restore to undo');
  return startRestore(core, target, version, { kind: 'undo', undoable: true }, keepAlive);
}

/** The restore a token names, checked against the tenant; 404 when it left no trace. */
export async function restoreOfToken(
  core: Core,
  target: ProjectTarget,
  token: string,
): Promise<{ restoreId: string; versionId: string }> {
  const { projectId } = target;
  // Verified by the clock that signed it: a skewed or virtual clock must agree with itself.
  const claims = await verifyRestoreToken(token, core.options.secret, projectId, core.runtime.clock());
  const known = async () =>
    core.hub.isLocal(claims.restoreId) ||
    (await core.store.getRestore(projectId, claims.restoreId)) !== null ||
    (await core.store.getLock(projectId))?.id === claims.restoreId;
  if (!(await known())) {
    // A token we signed for a restore with no trace: it died before its first write. Say so
    // now rather than after a lease of silence.
    await settleIfAbandoned(core, target, claims.restoreId, claims.versionId).catch((error) =>
      core.report(error, { where: 'settle abandoned restore', restoreId: claims.restoreId }),
    );
    if (!(await known())) throw new RewindError('not_found', 'No such restore');
  }
  return { restoreId: claims.restoreId, versionId: claims.versionId };
}

/**
 * Events of a restore after `afterId`, ending with its terminal event. A follower also watches
 * over the restore: silent for a lease and no longer holding its project, its job is gone, and
 * the follower settles it (see settleIfAbandoned).
 */
export function followRestore(
  core: Core,
  target: ProjectTarget,
  restore: { restoreId: string; versionId: string },
  afterId: number,
  signal: AbortSignal,
): AsyncGenerator<RestoreEvent> {
  const { restoreId, versionId } = restore;
  return core.hub.follow(target.projectId, restoreId, afterId, signal, {
    idleMs: core.leaseMs,
    onIdle: () => core.hub.checkOnce(restoreId, () => settleIfAbandoned(core, target, restoreId, versionId)),
  });
}

/**
 * A restore whose job no longer holds the project is settled from what Neon shows (one that
 * died before its first write gets its terminal event): the follower's trigger of `settle`.
 */
export async function settleIfAbandoned(
  core: Core,
  target: ProjectTarget,
  restoreId: string,
  versionId: string,
): Promise<void> {
  if ((await core.store.getLock(target.projectId))?.id === restoreId) return;
  await settleProject(core, target, { by: 'follower', restoreId, versionId });
}

/** What an operator sees of a project: its state, its lock, open and recent restores. */
export async function inspectProject(core: Core, target: ProjectTarget) {
  const { projectId } = target;
  const [state, lock, open, recent, previews] = await Promise.all([
    core.store.getProjectState(projectId),
    core.store.getLock(projectId),
    core.store.listRestores(projectId, { open: true }),
    core.store.listRestores(projectId, { limit: 20 }),
    core.store.listPreviews(projectId),
  ]);
  return { state, lock, openRestores: open, recentRestores: recent, previews };
}

/** Settle what can be settled now (the operator's trigger) and show what is left. */
export async function recoverProject(core: Core, target: ProjectTarget) {
  await settleProject(core, target, { by: 'admin' });
  return inspectProject(core, target);
}

/** One line of the restore audit trail. */
export interface RestoreAuditEntry {
  restoreId: string;
  kind: RestoreRecord['kind'];
  versionId: string;
  actor: string | null;
  status: RestoreRecord['status'];
  undoVersionId: string | null;
  error: RestoreRecord['error'];
  startedAt: string;
  finishedAt: string | null;
}

/** Who restored what, when, and how it ended, newest first. */
export async function restoreAudit(
  core: Core,
  target: ProjectTarget,
  limit = 100,
): Promise<RestoreAuditEntry[]> {
  return (await core.store.listRestores(target.projectId, { limit })).map((r) => ({
    restoreId: r.id,
    kind: r.kind,
    versionId: r.versionId,
    actor: r.actor,
    status: r.status,
    undoVersionId: r.undoTaken ? r.undoVersionId : null,
    error: r.error,
    startedAt: r.createdAt,
    finishedAt: r.finishedAt,
  }));
}
