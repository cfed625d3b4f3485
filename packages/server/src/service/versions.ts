import {
  type CreateVersionBody,
  type ListVersionsResponse,
  type RestoreEntry,
  RewindError,
  type UpdateVersionBody,
  type Version,
} from '@rewind/protocol';
import { activeRestore, type Core, settleOperations, toWire } from '../core';
import type { Lease } from '../restore/lease';
import type { StoredVersion } from '../stores/store';
import type { ProjectTarget, RestoreRecord } from '../types';
import { dropVersionRow, makeRoom, planPruning, removeVersion, snapshotQuotaError } from './retention';
import { captureSchema } from './schemas';
import { settleProject, withLock } from './settle';
import { isStraySnapshot } from './sweep';

/** An id as Rewind makes them: anything else cannot exist, so it never reaches the store (NUL, 10 KB). */
export const isRewindId = (id: string) => /^[\w-]{1,100}$/.test(id);

export async function versionOrThrow(core: Core, projectId: string, id: string): Promise<StoredVersion> {
  const version = isRewindId(id) ? await core.store.getVersion(projectId, id) : null;
  if (!version) throw new RewindError('not_found', 'No such version');
  return version;
}

/**
 * The timeline, from the store: no Neon request in steady state (Rewind performs every restore,
 * so it knows the live branch). A restore left open by a dead instance is settled first. Neon is
 * consulted on a project's first view (its live branch), and reconciled with at most once per
 * `reconcileIntervalMs` (default 5 min) per project across instances, after the answer (`keepAlive`
 * holds it on edge runtimes): snapshots deleted, a live branch replaced out of band (expired ones are hidden at once).
 */
export async function listVersions(
  core: Core,
  target: ProjectTarget,
  keepAlive: (job: Promise<void>) => void = () => undefined,
): Promise<ListVersionsResponse> {
  const { projectId, branchName } = target;
  const read = () =>
    Promise.all([
      core.store.listVersions(projectId),
      core.store.getProjectState(projectId),
      core.store.getLock(projectId),
      core.store.listRestores(projectId, { open: true, limit: 1 }),
    ]);
  let [stored, state, lock, open] = await read();
  if (!lock && open.length > 0) {
    await settleProject(core, target, { by: 'list' }).catch((error) =>
      core.report(error, { where: 'settle before listing', projectId }),
    );
    [stored, state, lock, open] = await read();
  }
  const interval = core.settings.reconcileIntervalMs;
  if (!state.liveBranchId || interval === 0) {
    // Nothing recorded yet (or reconciling on every view): Neon says, now.
    await reconcile(core, target);
    [stored, state, lock, open] = await read();
  } else if (!lock && (await core.store.claimReconcile(projectId, interval))) {
    // Last in the deployment's Neon budget: nobody waits for it.
    const background = { ...core, neon: core.neon.withPriority('background') };
    keepAlive(
      core.background(
        reconcile(background, target).catch((error) => core.report(error, { where: 'reconcile', projectId })),
      ),
    );
  }
  const liveBranchId = state.liveBranchId;
  if (!liveBranchId)
    throw new RewindError('not_found', `Live branch "${branchName}" not found in the project`);
  // A snapshot past its `expires_at` is Neon's to delete: hidden now, without asking Neon (the
  // next reconciliation drops its row).
  const now = core.runtime.clock();
  // A version some write-ahead entry still names is being made (an undo point whose snapshot is
  // not adopted yet), abandoned, or deleted: not reliably restorable, so not shown.
  const deleting = new Set(state.pendingCreates.map((p) => p.versionId).filter((id) => id !== null));
  const restorable = stored.filter(
    (version) => !deleting.has(version.id) && (!version.expiresAt || Date.parse(version.expiresAt) > now),
  );
  const shown = new Set(restorable.map((version) => version.id));
  return {
    versions: restorable.map((version) => toWire(version, state.currentVersionId)),
    currentVersionId: state.currentVersionId,
    liveBranch: { id: liveBranchId, name: branchName },
    activeRestore: lock ? activeRestore(lock) : null,
    undoVersionId: state.undoVersionId && shown.has(state.undoVersionId) ? state.undoVersionId : null,
    restores: (await core.store.listRestores(projectId, { limit: RESTORES_SHOWN * 2 }))
      .filter((record) => record.status === 'succeeded')
      .slice(0, RESTORES_SHOWN)
      .map(toRestoreEntry),
  };
}

// The timeline's recent past; the whole audit trail is the operator's (`inspectProject`).
const RESTORES_SHOWN = 50;

function toRestoreEntry(record: RestoreRecord): RestoreEntry {
  return {
    id: record.id,
    kind: record.kind,
    versionId: record.versionId,
    currentBeforeId: record.currentBeforeId ?? null,
    currentAfterId: record.currentAfterId ?? record.versionId,
    undoVersionId: record.undoTaken ? record.undoVersionId : null,
    actor: record.actor,
    startedAt: record.createdAt,
    finishedAt: record.finishedAt ?? record.createdAt,
  };
}

/**
 * Bring the store in line with Neon: record the live branch, settle a live branch Rewind did not
 * swap in (the sweep adopts or clears it), and drop versions whose snapshot Neon no longer has
 * (expired, deleted out of band). Only while no mutation runs: a version's snapshot appears in
 * Neon before its row is written.
 */
export async function reconcile(core: Core, target: ProjectTarget): Promise<void> {
  const { projectId, branchName } = target;
  const [live, snapshots, stored, state, lock] = await Promise.all([
    core.neon.findBranchByName(projectId, branchName),
    core.neon.listSnapshots(projectId),
    core.store.listVersions(projectId),
    core.store.getProjectState(projectId),
    core.store.getLock(projectId),
  ]);
  if (!live) throw new RewindError('not_found', `Live branch "${branchName}" not found in the project`);
  if (lock) return;
  if (!state.liveBranchId) {
    // First sight: what Neon shows is the live branch; no version is current before one is made.
    await withLock(core, target, async (lease) => {
      const now = await core.store.getProjectState(projectId);
      if (!now.liveBranchId)
        await core.store.patchProjectState(projectId, { liveBranchId: live.id }, lease.fence);
    });
  }
  // Replaced without Rewind recording it (settling adopts or clears it), or a snapshot of
  // Rewind's that nothing accounts for (a create that landed late; settling decides with fresh
  // reads under the lock: a version made meanwhile is not a stray).
  if (
    (state.liveBranchId && live.id !== state.liveBranchId) ||
    snapshots.some((s) => isStraySnapshot(s, stored, state.pendingCreates))
  )
    await settleProject(core, target, { by: 'reconcile' });
  const existing = new Set(snapshots.map((s) => s.id));
  const missing = stored.filter((version) => !existing.has(version.snapshotId));
  if (missing.length === 0) return;
  // The reads above ran side by side: a version made meanwhile can be in `stored` but not in a
  // snapshot list read just before its snapshot existed. A snapshot is made before its row, so
  // a list read after `stored` has it: only what that list lacks too is really gone.
  const fresh = new Set((await core.neon.listSnapshots(projectId)).map((s) => s.id));
  const gone = missing.filter((version) => !fresh.has(version.snapshotId));
  if (gone.length === 0) return;
  await withLock(core, target, async (lease) => {
    for (const version of gone) await dropVersionRow(core, projectId, version.id, lease.fence);
  });
}

/** A stable hash of a request body, so a reused idempotency key can be told apart from a retry. */
async function bodyHash(body: unknown): Promise<string> {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  const bytes = new TextEncoder().encode(JSON.stringify(canonical(body)));
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Snapshot the live branch as a new version. The snapshot is recorded by name before Neon makes
 * it (a crash leaves nothing the sweep cannot find); the version, its idempotency key and the
 * state are written in one atomic write. An idempotency key replays its first result, or answers
 * `idempotency_mismatch` when reused with another body.
 */
export async function createVersion(
  core: Core,
  target: ProjectTarget,
  body: CreateVersionBody,
  idempotencyKey?: string,
): Promise<{ version: Version; replayed: boolean }> {
  const { projectId } = target;
  const hash = await bodyHash(body);
  const replay = async () => {
    if (!idempotencyKey) return null;
    const used = await core.store.getIdempotencyKey(projectId, idempotencyKey);
    if (!used) return null;
    if (used.bodyHash !== null && used.bodyHash !== hash) {
      throw new RewindError(
        'idempotency_mismatch',
        'This Idempotency-Key was used with a different request body',
      );
    }
    const existing = await core.store.getVersion(projectId, used.versionId);
    if (!existing) return null;
    const state = await core.store.getProjectState(projectId);
    return { version: toWire(existing, state.currentVersionId), replayed: true };
  };
  const replayed = await replay();
  if (replayed) return replayed;

  // Budgeted as a save: it may wait out a burst of the deployment's demand instead of failing.
  const saving = { ...core, neon: core.neon.withPriority('save') };
  return withLock(saving, target, async (lease) => {
    // A retry that waited for the first attempt's lock finds its result here.
    const replayedInLock = await replay();
    if (replayedInLock) return replayedInLock;
    return {
      version: await snapshotVersion(
        saving,
        target,
        lease,
        body,
        idempotencyKey ? { key: idempotencyKey, bodyHash: hash } : undefined,
      ),
      replayed: false,
    };
  });
}

/**
 * The locked part of a version's creation, for a caller that already holds the project (a
 * change applied under the lock: `withVersion`).
 */
export async function snapshotVersion(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  body: CreateVersionBody,
  idempotency?: { key: string; bodyHash: string },
): Promise<Version> {
  const { projectId, branchName } = target;
  const state = await core.store.getProjectState(projectId);
  if (body.parentId && !(await core.store.getVersion(projectId, body.parentId))) {
    throw new RewindError('not_found', `Parent version ${body.parentId} does not exist`);
  }
  const expiresAt = body.expiresAt ? new Date(body.expiresAt).toISOString() : null;
  if (expiresAt && Date.parse(expiresAt) <= core.runtime.clock()) {
    throw new RewindError('bad_request', 'expiresAt must be in the future');
  }
  const live = await core.neon.findBranchByName(projectId, branchName);
  if (!live) throw new RewindError('not_found', `Live branch "${branchName}" not found in the project`);
  // Inside the snapshot quota: retention frees a slot first, or the platform hears why not.
  if (!(await makeRoom(core, projectId, lease.fence, 1))) {
    throw snapshotQuotaError(core, (await planPruning(core, projectId, 1)).limit);
  }
  const id = core.newId();
  const name = `rewind-${id}`;
  await core.store.patchProjectState(
    projectId,
    { createsAdd: [{ kind: 'snapshot', name, versionId: null, at: await core.store.now() }] },
    lease.fence,
  );
  const snapshot = () =>
    core.neon.createSnapshot(
      projectId,
      live.id,
      { name, expires_at: expiresAt ? `${expiresAt.slice(0, 19)}Z` : undefined },
      lease.guard(core.neon.timeoutMs),
    );
  const created = await snapshot().catch(async (error) => {
    // Neon counts snapshots Rewind does not know (made by hand, scheduled): its quota error
    // frees one more slot by the policy, then the call is tried once more.
    if (!(RewindError.is(error) && error.code === 'quota_exceeded')) throw error;
    const count = (await core.store.listVersions(projectId)).length;
    const freed = count > 0 && (await makeRoom(core, projectId, lease.fence, 1, [], { limit: count }));
    if (!freed) throw snapshotQuotaError(core, count, error);
    return snapshot();
  });
  try {
    await settleOperations(core, projectId, created.operations);
  } catch (error) {
    // Never keep a snapshot Rewind has no metadata for (if Neon refuses now, the sweep will).
    await core.neon
      .deleteSnapshot(projectId, created.snapshot.id)
      .then((operations) => settleOperations(core, projectId, operations))
      .then(() => core.store.patchProjectState(projectId, { createsRemove: [name] }, lease.fence))
      .catch((e) => core.report(e, { where: 'discard snapshot', projectId }));
    throw error;
  }
  // The version's schema, kept once per content: the confirm dialog diffs it locally.
  const schemaHash = await captureSchema(core, target, live.id, created.snapshot.lsn);
  const version: StoredVersion = {
    id,
    projectId,
    schemaHash,
    label: body.label,
    prompt: body.prompt ?? null,
    codeRef: body.codeRef ?? null,
    parentId: body.parentId ?? state.currentVersionId,
    snapshotId: created.snapshot.id,
    lsn: created.snapshot.lsn ?? null,
    sourceBranchId: created.snapshot.source_branch_id ?? live.id,
    kind: 'manual',
    createdAt: new Date(core.runtime.clock()).toISOString(),
    expiresAt,
    metadata: (body.metadata ?? {}) as StoredVersion['metadata'],
  };
  // The live database is exactly this version now; later versions fork from it.
  await core.store.insertVersion(version, {
    fence: lease.fence,
    ...(idempotency ? { idempotency } : {}),
    state: { currentVersionId: id, liveBranchId: live.id, createsRemove: [name] },
  });
  await Promise.resolve(core.options.hooks?.onVersionCreated?.({ projectId, version })).catch((error) =>
    core.report(error, { where: 'onVersionCreated hook', projectId }),
  );
  return toWire(version, id);
}

/** The newest version made with this code reference (a commit, a deploy), or null. */
export async function versionOfCodeRef(
  core: Core,
  target: ProjectTarget,
  codeRef: string,
): Promise<Version | null> {
  const [versions, state] = await Promise.all([
    core.store.listVersions(target.projectId),
    core.store.getProjectState(target.projectId),
  ]);
  const found = versions
    .filter((version) => version.codeRef === codeRef)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return found ? toWire(found, state.currentVersionId) : null;
}

/** Rename and/or pin a version (metadata only: Neon is not called). */
export async function updateVersion(
  core: Core,
  target: ProjectTarget,
  id: string,
  update: UpdateVersionBody,
): Promise<Version> {
  const { projectId } = target;
  let version = await versionOrThrow(core, projectId, id);
  if (update.label !== undefined)
    version = (await core.store.renameVersion(projectId, id, update.label)) ?? version;
  if (update.pinned !== undefined)
    version = (await core.store.setPinned(projectId, id, update.pinned)) ?? version;
  if (!(await core.store.getVersion(projectId, id))) throw new RewindError('not_found', 'No such version');
  const state = await core.store.getProjectState(projectId);
  return toWire(version, state.currentVersionId);
}

/** Delete a version and its Neon snapshot; history stays connected (children re-parented). */
export async function deleteVersion(core: Core, target: ProjectTarget, id: string): Promise<void> {
  const { projectId } = target;
  await withLock(core, target, async (lease) => {
    const version = await versionOrThrow(core, projectId, id);
    await removeVersion(core, projectId, version, lease.fence, lease.guard(core.neon.timeoutMs));
  });
}
