import {
  RESTORE_EVENT,
  RESTORE_PHASES,
  type RestoreEvent,
  type RestorePhase,
  RewindError,
} from '@rewind/protocol';
import type { Branch, NeonClient, Operation } from '../neon/neon-client';
import { isRefusal } from '../neon/neon-http-error';
import type { Fence, RewindStore, StatePatch, StoredVersion, VersionWrite } from '../stores/store';
import type { EventBody, ProjectTarget, RestoreAction, RestoreRecord, RestoreStep, Runtime } from '../types';
import type { Lease } from './lease';
import {
  type DurationModel,
  isSettledOperation,
  type PollSettings,
  watchOperations,
} from './operation-watcher';
import type { RestoreHub } from './restore-hub';

// ─── The record ────────────────────────────────────────────────────────────────────────────────

/**
 * The default order: only Neon's restore chain before the user hears "restored". The undo point
 * is a snapshot of the replaced branch, taken after the swap: Neon keeps it as "<name> (old)", a
 * root branch with the pre-restore data (neon-api.md §3.3), and only root branches can be
 * snapshotted, with no compute needed ("Snapshots are point-in-time copies of a branch stored
 * without an attached compute", neon.com/docs/reference/api/snapshots). Then it is deleted.
 * `record` and `cleanup` need the swap.
 */
export const DEFAULT_RESTORE_STEPS: readonly RestoreStep[] = ['restore', 'record', 'undo-point', 'cleanup'];

/** The fallback order, for a Neon that refuses to snapshot the replaced branch: undo point first. */
export const UNDO_FIRST_STEPS: readonly RestoreStep[] = ['undo-point', 'restore', 'record', 'cleanup'];

/** Whether the undo point of `steps` is taken before Neon is asked to restore. */
export const undoFirst = (steps: readonly RestoreStep[]) =>
  steps.indexOf('undo-point') < steps.indexOf('restore');

/**
 * The pure transition function: the next record and the events it makes. Terminal records do
 * not change; `not-done` after the swap is refused (a swapped restore can only succeed).
 */
export function transition(
  record: RestoreRecord,
  action: RestoreAction,
  at: string,
): { record: RestoreRecord; events: EventBody[] } {
  if (record.status !== 'running' || action.type === 'wrote') return { record, events: [] };
  if (action.type === 'not-done' && record.swapped) return { record, events: [] };
  const next: RestoreRecord = { ...record, phase: action.type === 'observed' ? record.phase : action.type };
  const events: EventBody[] = [];
  const finish = (step: RestoreStep) => {
    if (!next.done.includes(step)) next.done = [...next.done, step];
  };
  switch (action.type) {
    case 'begun':
      events.push({
        event: RESTORE_EVENT.started,
        data: {
          versionId: next.versionId,
          token: next.token,
          undoVersionId: next.undoVersionId,
          startedAt: at,
        },
      });
      break;
    case 'live-resolved':
      next.liveBeforeId = action.liveBeforeId;
      if (action.currentBeforeId !== undefined) next.currentBeforeId = action.currentBeforeId;
      break;
    case 'undo-taken':
      next.undoTaken = true;
      finish('undo-point');
      if (next.undoVersionId)
        events.push({ event: RESTORE_EVENT.undoAvailable, data: { undoVersionId: next.undoVersionId } });
      break;
    case 'step-skipped':
      finish(action.step);
      break;
    case 'asking':
      next.asking = true;
      break;
    case 'asked':
      next.asking = false;
      next.restoredBranchId = action.restoredBranchId;
      break;
    case 'observed':
      events.push(action.event);
      break;
    case 'swapped':
      next.swapped = true;
      next.asking = false;
      next.restoredBranchId = action.branchId;
      finish('restore');
      break;
    case 'recorded':
      finish('record');
      next.currentAfterId = action.currentAfterId;
      // Said once it is recorded, so a client that reloads the timeline on it sees it current.
      events.push({
        event: RESTORE_EVENT.finalized,
        data: {
          branchId: next.restoredBranchId as string,
          versionId: action.currentAfterId,
          undoVersionId: next.undoTaken ? next.undoVersionId : null,
        },
      });
      break;
    case 'cleaned':
      finish('cleanup');
      break;
    case 'not-done':
      next.status = 'failed';
      next.asking = false;
      next.error = action.error;
      next.finishedAt = at;
      events.push({ event: RESTORE_EVENT.failed, data: { error: action.error } });
      return { record: next, events };
  }
  if (next.swapped && next.steps.every((step) => next.done.includes(step))) {
    next.status = 'succeeded';
    next.finishedAt = at;
    events.push({
      event: RESTORE_EVENT.succeeded,
      data: {
        versionId: next.currentAfterId ?? next.versionId,
        undoVersionId: next.undoTaken ? next.undoVersionId : null,
        branchId: next.restoredBranchId as string,
        finishedAt: at,
      },
    });
  }
  return { record: next, events };
}

/** The step to perform next, or undefined when none is left. */
export function nextStep(record: RestoreRecord): RestoreStep | undefined {
  return record.steps.find((step) => !record.done.includes(step));
}

/** A new record in its `intent` phase. */
export function newRestoreRecord(plan: {
  id: string;
  target: ProjectTarget;
  kind: RestoreRecord['kind'];
  version: StoredVersion;
  token: string;
  holderId: string;
  undoVersionId: string | null;
  preview: { id: string; branchId: string } | null;
  createdAt: string;
  steps?: readonly RestoreStep[];
}): RestoreRecord {
  return {
    id: plan.id,
    projectId: plan.target.projectId,
    branchName: plan.target.branchName,
    kind: plan.kind,
    versionId: plan.version.id,
    snapshotId: plan.version.snapshotId,
    actor: plan.target.actor ?? null,
    token: plan.token,
    holderId: plan.holderId,
    steps: [...(plan.steps ?? DEFAULT_RESTORE_STEPS)],
    done: [],
    status: 'running',
    phase: 'intent',
    liveBeforeId: null,
    restoredBranchId: null,
    swapped: false,
    asking: false,
    undoVersionId: plan.undoVersionId,
    undoTaken: false,
    preview: plan.preview,
    error: null,
    lastEventId: 0,
    createdAt: plan.createdAt,
    finishedAt: null,
    updatedAt: 0,
  };
}

// ─── Running it ────────────────────────────────────────────────────────────────────────────────

export interface MachineContext {
  neon: NeonClient;
  store: RewindStore;
  hub: RestoreHub;
  poll: PollSettings;
  model: DurationModel;
  /** Clock, timers and randomness (the clock is for timestamps only: lease expiry is the store's). */
  runtime: Runtime;
  leaseMs: number;
  /** Receives what the machine swallows (store hiccups, a cleanup Neon refused). */
  report: (error: unknown, context: Record<string, unknown>) => void;
  onRestored?:
    | ((event: { projectId: string; version: StoredVersion; branchId: string }) => void | Promise<void>)
    | undefined;
  /** Neon refused, for good, to snapshot a replaced branch: later restores take it first. */
  onUndoAfterSwapRefused?: ((error: unknown) => void) | undefined;
  /** Retention: free a snapshot slot (never pruning `protect`); false when none can be freed. */
  makeRoom?: ((projectId: string, fence: Fence, protect: string[]) => Promise<boolean>) | undefined;
  /** Retention after a restore: automatic backups beyond the kept depth go (off the critical path). */
  pruneBackups?: ((projectId: string, fence: Fence) => Promise<void>) | undefined;
  /** `expires_at` for an automatic backup (retention's `backups.ttlMs`). */
  backupExpiresAt?: (() => string | undefined) | undefined;
}

/** A record being driven by the holder of `lease` (the job, or recovery under the project lock). */
export interface Run {
  record: RestoreRecord;
  lease: Lease;
  progress: Map<RestorePhase, number>;
  /**
   * The branches as Neon listed them when it showed the swap, under this lease. Nothing but this
   * run changes the project's branches while it holds the lock, so the cleanup acts on this list
   * rather than read it again. In memory only: recovery reads afresh.
   */
  swapSeen?: Branch[];
  /** Frees a root branch (drops a preview) when Neon's limit refuses the restore; false if none. */
  makeRoom?: (() => Promise<boolean>) | undefined;
}

const WEIGHT: Record<RestorePhase, number> = {
  'undo-snapshot': 15,
  restoring: 55,
  finalizing: 20,
  cleanup: 10,
};
const COMPUTE_ACTIONS = new Set(['suspend_compute', 'start_compute', 'apply_config']);
const undoName = (undoVersionId: string) => `rewind-${undoVersionId}`;

/**
 * Persist one transition with its events, a state patch and a version row, in one fenced write,
 * then publish it. Every durable write a restore makes goes through here.
 */
export async function dispatch(
  ctx: MachineContext,
  run: Run,
  action: RestoreAction,
  state?: StatePatch,
  version?: VersionWrite,
  removePreview?: string,
): Promise<void> {
  run.lease.assert();
  const { record, events } = transition(run.record, action, new Date(ctx.runtime.clock()).toISOString());
  if (record === run.record && !state && !version && !removePreview) return;
  const numbered = events.map(
    (event, i) => ({ ...event, id: run.record.lastEventId + 1 + i }) as RestoreEvent,
  );
  const next = { ...record, lastEventId: run.record.lastEventId + numbered.length };
  await retryStore(ctx, () =>
    ctx.store.commitRestore(next, {
      fence: run.lease.fence,
      events: numbered,
      ...(state ? { state } : {}),
      ...(version ? { version } : {}),
      ...(removePreview ? { removePreview } : {}),
    }),
  );
  run.record = next;
  ctx.hub.publish(next.id, numbered);
}

// A store hiccup must not end a restore: retried a few times (the writes are idempotent). A
// lost lease is final.
async function retryStore(ctx: MachineContext, write: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if ((RewindError.is(error) && error.code === 'lease_lost') || attempt >= 3) throw error;
      ctx.report(error, { where: 'restore store write', attempt });
      await ctx.runtime.sleep(100 * 3 ** attempt);
    }
  }
}

/** Perform steps until the record is terminal. Throws when it must stop with the outcome open. */
export async function drive(ctx: MachineContext, run: Run): Promise<void> {
  for (;;) {
    if (run.record.status !== 'running') return;
    const step = nextStep(run.record);
    if (!step) return;
    if (step === 'record' || step === 'cleanup') {
      if (!run.record.swapped) throw new RewindError('internal', `Step ${step} before the swap`);
    }
    await PERFORM[step](ctx, run);
  }
}

const PERFORM: Record<RestoreStep, (ctx: MachineContext, run: Run) => Promise<void>> = {
  'undo-point': takeUndoPoint,
  restore: askNeon,
  record: recordOutcome,
  cleanup: cleanUp,
};

/** The guard for mutating calls: enough lease left to outlast one bounded request. */
const mutationGuard = (ctx: MachineContext, run: Run) => run.lease.guard(ctx.neon.timeoutMs + 1_000);

async function takeUndoPoint(ctx: MachineContext, run: Run): Promise<void> {
  const r = run.record;
  const { projectId } = r;
  if (!r.undoVersionId || !r.liveBeforeId)
    return dispatch(ctx, run, { type: 'step-skipped', step: 'undo-point' });
  const name = undoName(r.undoVersionId);
  // The quota full of versions retention may not prune: the restore goes on without an undo
  // point (its confirmation said so) rather than fail halfway.
  if (ctx.makeRoom && !(await ctx.makeRoom(projectId, run.lease.fence, [r.versionId]))) {
    ctx.report(new RewindError('quota_exceeded', 'No snapshot slot for the undo point'), {
      where: 'undo point skipped: snapshot quota',
      restoreId: r.id,
    });
    return dispatch(ctx, run, { type: 'step-skipped', step: 'undo-point' });
  }
  try {
    const undoVersionId = r.undoVersionId;
    const earlier = (await ctx.store.getProjectState(projectId)).pendingCreates.some((c) => c.name === name);
    if (earlier) {
      // An earlier attempt of this step (its holder died or lost its lease) may have made the
      // snapshot without its row: adopting a new one under the same name would orphan it, so
      // what it left goes first (after the swap, recovery performs this step again).
      for (const stray of (await ctx.neon.listSnapshots(projectId)).filter((s) => s.name === name))
        await settled(
          ctx,
          projectId,
          await whileLocked(ctx, run, () => ctx.neon.deleteSnapshot(projectId, stray.id)),
        );
      await dispatch(ctx, run, { type: 'wrote' }, undefined, { remove: undoVersionId });
    } else {
      // Write-ahead: the snapshot is known by name before Neon makes it; the sweep deletes it if
      // this restore never adopts it.
      await dispatch(
        ctx,
        run,
        { type: 'wrote' },
        {
          createsAdd: [{ kind: 'snapshot', name, versionId: undoVersionId, at: await ctx.store.now() }],
        },
      );
    }
    // Before the swap the live branch is `liveBeforeId`; after it, that same branch is "(old)",
    // and Neon's own work right after a restore can hold the project's 423 lock for a moment.
    const liveBeforeId = r.liveBeforeId;
    const expires_at = ctx.backupExpiresAt?.();
    const create = () =>
      ctx.neon.createSnapshot(projectId, liveBeforeId, { name, expires_at }, mutationGuard(ctx, run));
    const snap = r.swapped ? await whileLocked(ctx, run, create) : await create();
    const state = await ctx.store.getProjectState(projectId);
    const parentId = r.currentBeforeId === undefined ? state.currentVersionId : r.currentBeforeId;
    // The row names the snapshot at once (a crash before it leaves only the name, for the sweep).
    await dispatch(ctx, run, { type: 'wrote' }, undefined, {
      insert: {
        id: r.undoVersionId,
        projectId,
        label: await undoPointLabel(ctx, projectId, parentId),
        prompt: null,
        codeRef: null,
        parentId,
        snapshotId: snap.snapshot.id,
        lsn: snap.snapshot.lsn ?? null,
        sourceBranchId: snap.snapshot.source_branch_id ?? liveBeforeId,
        kind: 'pre-restore',
        createdAt: new Date(ctx.runtime.clock()).toISOString(),
        expiresAt: null,
        metadata: {},
      },
    });
    // After the swap the user waits on Undo: watch it closely; before it, the restore follows.
    await follow(ctx, run, snap.operations, () => 'undo-snapshot', r.swapped);
    if (snap.operations.length === 0) await progress(ctx, run, 'undo-snapshot', 0, 0);
  } catch (error) {
    if (isLeaseLost(error)) throw error;
    // Before the swap nothing happened yet: the restore did not happen. After it, the restore
    // stands without an undo point; its snapshot stays pending for the sweep.
    if (!r.swapped) return notDone(ctx, run, error);
    ctx.report(error, { where: 'undo point after swap', restoreId: r.id });
    if (refusesReplacedBranch(error)) ctx.onUndoAfterSwapRefused?.(error);
    return dispatch(ctx, run, { type: 'step-skipped', step: 'undo-point' });
  }
  // Taken after the outcome was recorded (a later step order): offer it now.
  const patch: StatePatch | undefined = run.record.done.includes('record')
    ? { undoVersionId: r.undoVersionId, createsRemove: [name] }
    : undefined;
  await dispatch(ctx, run, { type: 'undo-taken' }, patch);
}

async function askNeon(ctx: MachineContext, run: Run): Promise<void> {
  const r = run.record;
  const { projectId } = r;
  const liveBeforeId = r.liveBeforeId as string;
  const guard = mutationGuard(ctx, run);
  let restoredBranchId: string;
  let operations: Operation[];
  await dispatch(ctx, run, { type: 'asking' });
  try {
    const preview = r.preview;
    const readPreview = () =>
      preview ? ctx.neon.getBranch(projectId, preview.branchId).catch(() => undefined) : undefined;
    let previewBranch = await readPreview();
    // `detaching` is Neon's own brief background work on a restored branch, after which it is
    // `restored` again; a finalize sent meanwhile can be refused. Wait it out (bounded), as a 423.
    for (let attempt = 0; previewBranch?.restore_status === 'detaching' && attempt < 5; attempt++) {
      await ctx.runtime.sleep(250 * 2 ** attempt);
      run.lease.assert();
      previewBranch = await readPreview();
    }
    if (preview && previewBranch?.restored_as === liveBeforeId && awaitsFinalize(previewBranch)) {
      // The preview already holds the data: finalizing it is the fast path.
      operations = await whileLocked(ctx, run, () =>
        ctx.neon.finalizeRestore(projectId, preview.branchId, guard),
      );
      restoredBranchId = preview.branchId;
    } else {
      // A 423 is a refusal (nothing started): Neon's own work (a compute waking on a connection,
      // a branch detaching) can hold the project longer than the client's retries, so the
      // restore waits it out (bounded) rather than fail on it.
      const restored = await whileLocked(ctx, run, () =>
        ctx.neon.restoreSnapshot(
          projectId,
          r.snapshotId,
          { target_branch_id: liveBeforeId, finalize_restore: true },
          guard,
        ),
      );
      restoredBranchId = restored.branch.id;
      operations = restored.operations;
    }
  } catch (error) {
    // Lost before an attempt went out; every earlier attempt was refused (423/429/503).
    if (isLeaseLost(error)) throw error;
    // Neon's branches decide whether it landed, whatever the answer was.
    const seen = await readSwapSettled(ctx, run).catch(() => null);
    if (seen?.swappedId) return dispatch(ctx, run, { type: 'swapped', branchId: seen.swappedId });
    if (isRefusal(error) && seen?.live?.id === liveBeforeId) {
      if (RewindError.is(error) && error.code === 'not_found') return snapshotGone(ctx, run, error);
      // Nothing started (the live branch is untouched): retried once each time room was made.
      if (rootBranchesFull(error) && (await madeRoom(ctx, run))) return askNeon(ctx, run);
      return notDone(ctx, run, error);
    }
    throw error; // no answer: open; recovery decides once Neon can tell
  }
  await dispatch(ctx, run, { type: 'asked', restoredBranchId });
  let opError: unknown = null;
  try {
    await follow(
      ctx,
      run,
      operations,
      (op) => (COMPUTE_ACTIONS.has(op.action) ? 'finalizing' : 'restoring'),
      false,
    );
  } catch (error) {
    if (isLeaseLost(error)) throw error;
    opError = error;
  }
  // Not the operations' statuses: the branches Neon shows decide (an operation can fail after
  // the endpoint moved, and the restore stands).
  const seen = await readSwapSettled(ctx, run);
  if (seen.swappedId) {
    for (const phase of ['restoring', 'finalizing'] as const)
      if (!run.progress.has(phase)) await progress(ctx, run, phase, 0, 0);
    return dispatch(ctx, run, { type: 'swapped', branchId: seen.swappedId });
  }
  if (seen.live?.id !== liveBeforeId)
    throw new RewindError('internal', 'The live branch is neither the old nor the restored one');
  if (opError && !isDefinitiveFailure(opError)) throw opError; // a deadline, `failed` past grace: open
  if (!(await neonIdle(ctx, projectId))) throw opError ?? new RewindError('timeout', 'Neon is still busy');
  return notDone(
    ctx,
    run,
    opError ??
      new RewindError(
        'operation_failed',
        'Neon finished the operations but the live branch was not replaced',
      ),
  );
}

/**
 * Neon answered 404 to the restore: when the version's snapshot is gone (expired, deleted out of
 * band) the timeline must not offer it again, so its row goes and the error says why.
 */
async function snapshotGone(ctx: MachineContext, run: Run, error: RewindError): Promise<void> {
  const r = run.record;
  const snapshots = await ctx.neon.listSnapshots(r.projectId).catch(() => null);
  if (!snapshots || snapshots.some((s) => s.id === r.snapshotId)) return notDone(ctx, run, error);
  const state = await ctx.store.getProjectState(r.projectId);
  const patch: StatePatch = {};
  if (state.currentVersionId === r.versionId) patch.currentVersionId = null;
  if (state.undoVersionId === r.versionId) patch.undoVersionId = null;
  // The row goes with the failure, in the same write.
  return notDone(
    ctx,
    run,
    new RewindError(
      'not_found',
      "This version's snapshot no longer exists in Neon (it expired or was deleted): it was removed from the timeline",
      { details: { snapshotGone: true, versionId: r.versionId } },
    ),
    { state: patch, version: { remove: r.versionId } },
  );
}

async function recordOutcome(ctx: MachineContext, run: Run): Promise<void> {
  const r = run.record;
  const { projectId } = r;
  const stalePreview = r.preview && r.restoredBranchId !== r.preview.branchId ? r.preview.branchId : null;
  const leftovers = [r.liveBeforeId, stalePreview].filter((id): id is string => typeof id === 'string');
  const restored = await ctx.store.getVersion(projectId, r.versionId);
  const currentAfterId = (restored && (await sameDataAs(ctx.store, restored))) ?? r.versionId;
  const current = await savedOnRestoredBranch(ctx.store, r);
  // The outcome, the adoption of the undo point and the branches still to delete, in one write.
  await dispatch(
    ctx,
    run,
    { type: 'recorded', currentAfterId },
    {
      currentVersionId: current ?? currentAfterId,
      liveBranchId: r.restoredBranchId,
      undoVersionId: r.undoTaken ? r.undoVersionId : null,
      cleanupAdd: leftovers,
      ...(r.undoTaken && r.undoVersionId ? { createsRemove: [undoName(r.undoVersionId)] } : {}),
    },
    undefined,
    r.preview?.id,
  );
  const version = await ctx.store.getVersion(projectId, currentAfterId).catch(() => null);
  if (version && ctx.onRestored) {
    await Promise.resolve(
      ctx.onRestored({ projectId, version, branchId: r.restoredBranchId as string }),
    ).catch((error) => ctx.report(error, { where: 'onRestored hook', restoreId: r.id }));
  }
}

/**
 * A version saved while this restore's outcome was open (its job lost its lease and settling
 * could not read Neon) from the branch the restore made live: it holds the restored data plus
 * what was written since, so it stays current when the outcome is recorded late. A version saved
 * before the swap landed was taken on the old branch and holds nothing of what is live now.
 */
async function savedOnRestoredBranch(store: RewindStore, r: RestoreRecord): Promise<string | null> {
  if (!r.restoredBranchId) return null;
  const { currentVersionId } = await store.getProjectState(r.projectId);
  if (!currentVersionId || currentVersionId === r.currentBeforeId || currentVersionId === r.versionId)
    return null;
  const saved = await store.getVersion(r.projectId, currentVersionId);
  return saved && saved.sourceBranchId === r.restoredBranchId ? saved.id : null;
}

/**
 * The version an undo point holds exactly, or null: its parent (the version current when it was
 * taken) when Neon shows both snapshots taken on the same branch at the same lsn, so nothing was
 * written in between. Anything else (another branch, another lsn, a fact missing) proves nothing,
 * and the undo point stays what it is: "the parent + later changes".
 */
export async function sameDataAs(store: RewindStore, version: StoredVersion): Promise<string | null> {
  if (version.kind !== 'pre-restore' || !version.parentId || !version.lsn || !version.sourceBranchId)
    return null;
  const parent = await store.getVersion(version.projectId, version.parentId);
  return parent && parent.lsn === version.lsn && parent.sourceBranchId === version.sourceBranchId
    ? parent.id
    : null;
}

async function cleanUp(ctx: MachineContext, run: Run): Promise<void> {
  const r = run.record;
  const { projectId } = r;
  const stalePreview = r.preview && r.restoredBranchId !== r.preview.branchId ? r.preview.branchId : null;
  const removed: string[] = [];
  const seen = run.swapSeen?.find((b) => b.name === r.branchName);
  const branches =
    seen && seen.id === r.restoredBranchId
      ? run.swapSeen
      : await listBranchesExpecting(ctx, projectId, r.branchName, r.restoredBranchId).catch(() => null);
  if (branches) {
    const found = branches.find((branch) => branch.name === r.branchName);
    // Still the old branch by name after the swap: the list lags; the sweep retries later.
    const live = found && found.id === r.liveBeforeId ? undefined : found;
    for (const id of [r.liveBeforeId, stalePreview]) {
      if (!id) continue;
      const branch = branches.find((b) => b.id === id);
      // Never the live branch, whatever the record says: a deletion cannot be undone.
      if (!branch) {
        removed.push(id);
        continue;
      }
      if (!live) continue; // cannot tell which branch is live: the sweep retries
      if (branch.id === live.id || branch.default) {
        removed.push(id); // not ours to delete
        continue;
      }
      const label = branch.name;
      if (id === r.liveBeforeId)
        await observe(ctx, run, {
          event: RESTORE_EVENT.cleanup,
          data: { branchName: label, status: 'started' },
        });
      try {
        await follow(
          ctx,
          run,
          await whileLocked(ctx, run, () => ctx.neon.deleteBranch(projectId, id, mutationGuard(ctx, run))),
          () => 'cleanup',
        );
        removed.push(id);
        if (id === r.liveBeforeId)
          await observe(ctx, run, {
            event: RESTORE_EVENT.cleanup,
            data: { branchName: label, status: 'done' },
          });
      } catch (error) {
        if (isLeaseLost(error)) throw error;
        ctx.report(error, { where: 'restore cleanup', restoreId: r.id, branchId: id });
        if (id === r.liveBeforeId)
          await observe(ctx, run, {
            event: RESTORE_EVENT.cleanup,
            data: { branchName: label, status: 'failed' },
          });
      }
    }
  }
  // Backups beyond the kept depth, now that the new undo point is there (never the one Undo offers).
  await ctx.pruneBackups?.(projectId, run.lease.fence).catch((error) => {
    if (isLeaseLost(error)) throw error;
    ctx.report(error, { where: 'restore cleanup: prune backups', restoreId: r.id });
  });
  if (!run.progress.has('cleanup')) await progress(ctx, run, 'cleanup', 0, 0);
  // What is not deleted now stays in pendingCleanup for the sweep.
  await dispatch(ctx, run, { type: 'cleaned' }, removed.length ? { cleanupRemove: removed } : undefined);
}

/**
 * Neon runs background work of its own right after a restore (a restored branch `detaching`, a
 * compute suspending itself, availability checks), and every mutation answers 423 meanwhile. The
 * client's retries cover a moment; cleanup, which nothing waits for but the final event, waits
 * for such work to end (bounded) before leaving the branch to the sweep.
 */
async function whileLocked<T>(ctx: MachineContext, run: Run, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(RewindError.is(error) && error.code === 'locked') || attempt >= 5) throw error;
      await ctx.runtime.sleep(250 * 2 ** attempt);
      run.lease.assert();
    }
  }
}

/**
 * The restore did not happen: delete what it made (a restored branch that never went live, the
 * undo point taken for nothing) and end it as failed. What Neon refuses to delete now is left
 * for the sweep (pendingCleanup, pendingCreates), so nothing leaks.
 */
async function notDone(
  ctx: MachineContext,
  run: Run,
  cause: unknown,
  /** Written with the failure (snapshotGone: the version row and the state naming it). */
  with_: { state?: StatePatch; version?: VersionWrite } = {},
): Promise<void> {
  const r = run.record;
  const { projectId } = r;
  const error = RewindError.is(cause)
    ? cause
    : new RewindError('internal', 'The restore failed unexpectedly', { cause });
  const cleanupAdd: string[] = [];
  const createsRemove: string[] = [];
  if (r.liveBeforeId) {
    const listError: { error?: unknown } = {};
    const branches = await ctx.neon.listBranches(projectId).catch((e) => {
      listError.error = e;
      return null;
    });
    // A restore call that may have landed without its answer (`asking`) made a branch whose id
    // only the list can show: without it, concluding now would leak that branch. The outcome
    // stays open; recovery concludes it once Neon answers (found by the simulation, seed 2582).
    if (!branches && r.asking) throw listError.error;
    const previews = new Set((await ctx.store.listPreviews(projectId)).map((p) => p.branchId));
    const live = branches?.find((b) => b.name === r.branchName);
    const leftovers = branches
      ? branches.filter(
          (b) =>
            b.id !== live?.id &&
            !previews.has(b.id) &&
            (b.id === r.restoredBranchId ||
              (b.restored_as === r.liveBeforeId && b.restored_from === r.snapshotId && awaitsFinalize(b))),
        )
      : r.restoredBranchId && r.restoredBranchId !== r.preview?.branchId
        ? [{ id: r.restoredBranchId } as Branch]
        : [];
    for (const branch of leftovers) {
      try {
        await settled(ctx, projectId, await ctx.neon.deleteBranch(projectId, branch.id));
      } catch (deleteError) {
        ctx.report(deleteError, { where: 'restore rollback', restoreId: r.id, branchId: branch.id });
        cleanupAdd.push(branch.id);
      }
    }
  }
  // An undo point planned after the swap was never started: nothing to discard.
  if (r.undoVersionId && undoFirst(r.steps)) {
    try {
      // Not found may mean not made yet (its create call still on its way): the sweep looks again.
      const discarded = await discardUndoPoint(ctx, projectId, r.undoVersionId);
      if (discarded.row) await dispatch(ctx, run, { type: 'wrote' }, undefined, { remove: r.undoVersionId });
      if (discarded.snapshots > 0) createsRemove.push(undoName(r.undoVersionId));
    } catch (discardError) {
      ctx.report(discardError, { where: 'restore rollback (undo point)', restoreId: r.id });
    }
  }
  await dispatch(
    ctx,
    run,
    { type: 'not-done', error: error.toJSON().error },
    { ...with_.state, cleanupAdd, createsRemove },
    with_.version,
  );
}

/**
 * Delete the Neon snapshot of an undo point taken for nothing (by row, else by name). Says how
 * many snapshots it deleted and whether a row names it: the caller removes the row, through
 * `dispatch`.
 */
export async function discardUndoPoint(
  ctx: Pick<MachineContext, 'neon' | 'store' | 'poll' | 'model' | 'runtime'>,
  projectId: string,
  undoVersionId: string,
): Promise<{ snapshots: number; row: boolean }> {
  const version = await ctx.store.getVersion(projectId, undoVersionId);
  // By row, else by name: every snapshot of that name (Neon does not promise unique names).
  const snapshotIds = version?.snapshotId
    ? [version.snapshotId]
    : (await ctx.neon.listSnapshots(projectId))
        .filter((snap) => snap.name === undoName(undoVersionId))
        .map((snap) => snap.id);
  for (const snapshotId of snapshotIds) {
    try {
      await settled(ctx, projectId, await ctx.neon.deleteSnapshot(projectId, snapshotId));
    } catch (error) {
      if (!(RewindError.is(error) && error.code === 'not_found')) throw error;
    }
  }
  return { snapshots: snapshotIds.length, row: version !== null };
}

// ─── The job ───────────────────────────────────────────────────────────────────────────────────

/**
 * Run one restore as the holder of `lease`: the intent is committed before anything is asked of
 * Neon, then each step is performed and persisted until the record is terminal. Never throws.
 * When it cannot go on with the outcome open (no answer from Neon, the store gone, the lease
 * lost) it stops without a word: recovery settles the record from what Neon shows.
 */
export async function runRestore(
  ctx: MachineContext,
  record: RestoreRecord,
  lease: Lease,
  /**
   * Runs under the lease before the restore is judged: the sweep. It answers the live branch
   * it read, if it could, which saves reading it again.
   */
  prepare: () => Promise<Branch | undefined | void>,
  makeRoom?: () => Promise<boolean>,
): Promise<void> {
  const run: Run = { record, lease, progress: new Map(), makeRoom };
  try {
    await dispatch(ctx, run, { type: 'begun' });
    const swept = await prepare();
    // An earlier restore's outcome is still open (Neon could not tell yet): it is judged
    // against the live branch it replaced, so nothing may replace that branch first.
    const open = await ctx.store.listRestores(record.projectId, { open: true });
    if (open.some((other) => other.id !== record.id)) {
      return await notDone(
        ctx,
        run,
        new RewindError('locked', 'An earlier restore of this project is still being settled', {
          details: { retryable: true },
        }),
      );
    }
    // Resolved now, by name: the live branch's id changes with every restore.
    const live = swept ?? (await ctx.neon.findBranchByName(record.projectId, record.branchName));
    if (!live)
      return await notDone(
        ctx,
        run,
        new RewindError('not_found', `Live branch "${record.branchName}" not found in the project`),
      );
    const { currentVersionId } = await ctx.store.getProjectState(record.projectId);
    await dispatch(ctx, run, {
      type: 'live-resolved',
      liveBeforeId: live.id,
      currentBeforeId: currentVersionId,
    });
    await drive(ctx, run);
  } catch (error) {
    const r = run.record;
    const untouched = !r.swapped && !r.asking && r.restoredBranchId === null;
    if (!isLeaseLost(error) && r.status === 'running' && untouched && !lease.lost) {
      // Neon was never asked to restore: it did not happen, and the log can say so now.
      await notDone(ctx, run, error).catch((e) =>
        ctx.report(e, { where: 'restore failure', restoreId: r.id }),
      );
    } else {
      ctx.report(error, { where: 'restore stopped with its outcome open', restoreId: r.id });
    }
  }
}

/** End the log of a restore that died before its first write (it never asked Neon anything). */
export async function concludeUnstarted(
  ctx: MachineContext,
  lease: Lease,
  record: RestoreRecord,
): Promise<void> {
  const run: Run = { record, lease, progress: new Map() };
  await dispatch(ctx, run, { type: 'not-done', error: interruptedError().toJSON().error });
}

// ─── Recovery ──────────────────────────────────────────────────────────────────────────────────

/**
 * Settle a restore whose job is gone (crashed, paused past its lease, or stopped with the
 * outcome open), under the project lock held by `lease`. Decides from the record and from Neon:
 * swapped (recorded, or seen in Neon's branches) → finish it forward to success; the live branch
 * untouched and Neon idle → not done, once a restore call that may still be on its way (a lease
 * plus a request bound) can no longer land; anything else → left open for the next sweep.
 */
export async function recover(ctx: MachineContext, record: RestoreRecord, lease: Lease): Promise<void> {
  if (record.status !== 'running') return;
  const run: Run = { record, lease, progress: new Map() };
  if (!record.liveBeforeId) return notDone(ctx, run, interruptedError());
  if (!record.swapped) {
    // Whether Neon is idle is read before the branches, never after: a swap that lands between
    // the two reads (the restore's last operation finishing) would otherwise read as "not
    // swapped, Neon idle", and the restore be concluded not done while Neon completes it.
    const idle = await neonIdle(ctx, record.projectId);
    const seen = await readSwapSettled(ctx, run);
    if (seen.swappedId) {
      await dispatch(ctx, run, { type: 'swapped', branchId: seen.swappedId });
      // An undo point meant to come before the restore was never taken (the call comes after
      // it); whatever it left is pending for the sweep.
      const order = run.record.steps;
      if (!run.record.done.includes('undo-point') && order.indexOf('undo-point') < order.indexOf('restore'))
        await dispatch(ctx, run, { type: 'step-skipped', step: 'undo-point' });
    } else {
      if (seen.live?.id !== record.liveBeforeId) return; // cannot tell: an operator's call
      if (!idle) return;
      if (record.asking && (await ctx.store.now()) - record.updatedAt < landingWindowMs(ctx)) return;
      return notDone(ctx, run, interruptedError());
    }
  }
  await drive(ctx, run);
}

/** An operator's decision for a restore Neon cannot settle: not done. Refused once swapped. */
export async function abandon(ctx: MachineContext, record: RestoreRecord, lease: Lease): Promise<void> {
  if (record.status !== 'running') return;
  if (record.swapped)
    throw new RewindError('conflict', 'This restore replaced the live branch: it can only succeed');
  const error = new RewindError('operation_failed', 'The restore was abandoned by an operator', {
    details: { abandoned: true },
  });
  await notDone(ctx, { record, lease, progress: new Map() }, error);
}

/**
 * A restored branch not yet finalized. `detaching` counts too: the spec says a `restored` (or
 * `finalized`) branch "may begin `detaching` as a one-time performance optimisation, after which
 * it will continue in its original state", so it may be either; callers also check its name and
 * `restored_as`, which tell the two apart.
 */
export function awaitsFinalize(branch: Pick<Branch, 'restore_status'>): boolean {
  return branch.restore_status === 'restored' || branch.restore_status === 'detaching';
}

/**
 * Neon's branch list can lag a finished finalize for a moment (reads after a swap still show the
 * old names: public evidence of eventual consistency, neon-api.md §6). "Not swapped" is the one
 * answer that leads to an irreversible decision (not done: the restored branch and the undo point
 * are deleted), so it is only believed after it held for this long; "swapped" is believed at once.
 */
const SWAP_READ_SCHEDULE_MS = [150, 300, 600, 1_200];

/**
 * The project's branches, re-read while the live one (by name) is not `expectedLiveId`: after a
 * swap, a lagging list still shows the old branch live, and acting on it would leak the "(old)"
 * branch or adopt the wrong one. What still disagrees after the schedule is real (or stays for
 * the next sweep); callers never delete on it.
 */
export async function listBranchesExpecting(
  ctx: Pick<MachineContext, 'neon' | 'runtime'>,
  projectId: string,
  branchName: string,
  expectedLiveId: string | null | undefined,
): Promise<Branch[]> {
  let branches = await ctx.neon.listBranches(projectId);
  if (!expectedLiveId) return branches;
  for (const wait of SWAP_READ_SCHEDULE_MS) {
    if (branches.find((b) => b.name === branchName)?.id === expectedLiveId) return branches;
    await ctx.runtime.sleep(wait);
    branches = await ctx.neon.listBranches(projectId);
  }
  return branches;
}

async function readSwapSettled(
  ctx: MachineContext,
  run: Run,
): Promise<{ live: Branch | undefined; swappedId: string | null }> {
  let seen = await readSwap(ctx, run);
  for (const wait of SWAP_READ_SCHEDULE_MS) {
    if (seen.swappedId || seen.live?.id !== run.record.liveBeforeId) return seen;
    await ctx.runtime.sleep(wait);
    run.lease.assert();
    seen = await readSwap(ctx, run);
  }
  return seen;
}

/** The live branch and, if Neon shows it replaced by this restore, the branch that replaced it. */
async function readSwap(
  ctx: MachineContext,
  run: Run,
): Promise<{ live: Branch | undefined; swappedId: string | null }> {
  const r = run.record;
  const branches = await ctx.neon.listBranches(r.projectId);
  const live = branches.find((branch) => branch.name === r.branchName);
  run.swapSeen = branches;
  const swapped =
    live &&
    live.id !== r.liveBeforeId &&
    (live.id === r.restoredBranchId ||
      (live.restored_as === r.liveBeforeId && live.restored_from === r.snapshotId) ||
      (r.preview !== null && live.id === r.preview.branchId && live.restored_as === r.liveBeforeId));
  return { live, swappedId: swapped ? live.id : null };
}

/**
 * How long after a mutating call may have been sent it can still take effect: a paused holder
 * (a lease), a request in flight (the client's bound) and, as the fault harness showed, a server
 * still working on a request its client gave up on. Twice that, plus a margin, before Rewind
 * concludes that a call never landed.
 */
export function landingWindowMs(ctx: Pick<MachineContext, 'leaseMs' | 'neon'>): number {
  return 2 * (ctx.leaseMs + ctx.neon.timeoutMs) + 5_000;
}

/** Wait for deletions to really happen: a deletion whose operation fails leaves the resource. */
export function settled(
  ctx: Pick<MachineContext, 'neon' | 'poll' | 'model' | 'runtime'>,
  projectId: string,
  operations: Operation[],
) {
  return watchOperations(ctx.neon, projectId, operations, {
    settings: ctx.poll,
    model: ctx.model,
    sleep: ctx.runtime.sleep,
    now: ctx.runtime.clock,
  });
}

async function neonIdle(ctx: MachineContext, projectId: string): Promise<boolean> {
  return (await ctx.neon.listOperations(projectId, 20)).every(isSettledOperation);
}

function rootBranchesFull(error: unknown): boolean {
  return RewindError.is(error) && error.code === 'quota_exceeded' && error.details?.quota === 'root_branches';
}

/** Whether the run's `makeRoom` freed a root branch; a failure to is reported, not thrown. */
async function madeRoom(ctx: MachineContext, run: Run): Promise<boolean> {
  if (!run.makeRoom) return false;
  try {
    return await run.makeRoom();
  } catch (error) {
    if (isLeaseLost(error)) throw error;
    ctx.report(error, { where: 'restore: make room', restoreId: run.record.id });
    return false;
  }
}

/** Neon will not snapshot the replaced branch at all (not a quota, not a busy moment). */
function refusesReplacedBranch(error: unknown): boolean {
  if (!RewindError.is(error) || error.code === 'quota_exceeded') return false;
  const status = error.details?.neonStatus;
  return typeof status === 'number' && [400, 403, 409, 422].includes(status);
}

function isDefinitiveFailure(error: unknown): boolean {
  const status = RewindError.is(error) ? error.details?.status : undefined;
  return (
    RewindError.is(error) &&
    error.code === 'operation_failed' &&
    (status === 'error' || status === 'cancelled')
  );
}

export function isLeaseLost(error: unknown): boolean {
  return RewindError.is(error) && error.code === 'lease_lost';
}

/** What a follower hears about a restore that was cut short and did not take effect. */
export function interruptedError(): RewindError {
  return new RewindError(
    'operation_failed',
    'The restore was interrupted before it took effect; the database was not changed',
    { details: { interrupted: true } },
  );
}

// ─── Progress ──────────────────────────────────────────────────────────────────────────────────

function observe(ctx: MachineContext, run: Run, event: EventBody): Promise<void> {
  return dispatch(ctx, run, { type: 'observed', event });
}

async function progress(ctx: MachineContext, run: Run, phase: RestorePhase, settled: number, total: number) {
  const undoable = run.record.undoVersionId !== null;
  const phases = RESTORE_PHASES.filter((p) => undoable || p !== 'undo-snapshot');
  const totalWeight = phases.reduce((sum, p) => sum + WEIGHT[p], 0);
  run.progress.set(phase, total === 0 ? WEIGHT[phase] : (WEIGHT[phase] * settled) / total);
  const sum = [...run.progress.values()].reduce((a, b) => a + b, 0);
  await observe(ctx, run, {
    event: RESTORE_EVENT.progress,
    data: { phase, progress: Math.min(1, sum / totalWeight), settled, total },
  });
}

function follow(
  ctx: MachineContext,
  run: Run,
  operations: Operation[],
  phaseOf: (op: Operation) => RestorePhase,
  urgent = true,
): Promise<Operation[]> {
  const settled = new Set<string>();
  const counts = new Map<RestorePhase, number>();
  for (const op of operations) counts.set(phaseOf(op), (counts.get(phaseOf(op)) ?? 0) + 1);
  return watchOperations(ctx.neon, run.record.projectId, operations, {
    settings: ctx.poll,
    model: ctx.model,
    sleep: ctx.runtime.sleep,
    now: ctx.runtime.clock,
    urgent,
    onChange: async (op) => {
      run.lease.assert();
      const phase = phaseOf(op);
      await observe(ctx, run, {
        event: RESTORE_EVENT.operation,
        data: { operationId: op.id, action: op.action, status: op.status, phase },
      });
      if ((op.status === 'finished' || op.status === 'skipped') && !settled.has(op.id)) {
        settled.add(op.id);
        const inPhase = operations.filter((o) => phaseOf(o) === phase && settled.has(o.id)).length;
        await progress(ctx, run, phase, inPhase, counts.get(phase) ?? 0);
      }
    },
  });
}

/**
 * An undo point's label: what it holds, named after the saved version it grew from ("v3 + later
 * changes"), never after another undo point, so undoing undos never nests names.
 */
async function undoPointLabel(
  ctx: MachineContext,
  projectId: string,
  parentId: string | null,
): Promise<string> {
  let id = parentId;
  for (let hops = 0; id && hops < 100; hops++) {
    const version = await ctx.store.getVersion(projectId, id);
    if (!version) break;
    if (version.kind !== 'pre-restore') return `${version.label} + later changes`;
    id = version.parentId;
  }
  return 'Before the first version';
}
