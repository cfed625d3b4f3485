// What must hold after quiescence and a final sweep, whatever the seed threw at Rewind. Shared
// by `pnpm chaos` (real processes) and `pnpm sim` (the deterministic simulation).
import type { createApiClient } from '@neondatabase/api-client';
import type { RewindAdmin, RewindStore } from '@rewind/server';
import { type Env, type Heard, readStream, type World } from './workload';

type Api = ReturnType<typeof createApiClient>;
type Time = Pick<Env, 'sleep' | 'now'>;
const SKIPPED = Symbol('skipped');

/** Until every operation of the project is terminal (bounded). */
export async function neonIdle(env: Time, api: Api, projectId: string, ms = 10_000) {
  const deadline = env.now() + ms;
  while (env.now() < deadline) {
    const { data } = await api.listProjectOperations({ projectId, limit: 50 });
    if (data.operations.every((op) => ['finished', 'skipped', 'error', 'cancelled'].includes(op.status)))
      return;
    await env.sleep(100);
  }
}

/** Neon idle, then sweeps (the operator's recover) until nothing is open or pending (bounded). */
export async function quiesce(
  env: Time,
  admin: Pick<RewindAdmin, 'recover' | 'inspect'>,
  api: Api,
  projectId: string,
  log: (line: string) => void,
) {
  const target = { projectId };
  for (let round = 0; round < 30; round++) {
    await neonIdle(env, api, projectId);
    await admin.recover(target).catch((error) => log(`recover: ${String(error).slice(0, 100)}`));
    const seen = await admin.inspect(target);
    if (
      seen.openRestores.length === 0 &&
      seen.state.pendingCreates.length === 0 &&
      seen.state.pendingCleanup.length === 0 &&
      !seen.lock
    )
      break;
    await env.sleep(1_000);
  }
  await neonIdle(env, api, projectId);
}

/** Neon's own background operations (the emulator runs --realistic) lock the project for a moment. */
async function unlocked<T>(env: Time, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status !== 423 || attempt >= 100)
        throw error;
      await env.sleep(100);
    }
  }
}

/** How the checks read what a snapshot holds. */
export type SnapshotValue = (snapshotId: string, liveId: string) => Promise<string | null>;

/**
 * The data a snapshot holds, read from a throwaway branch restored from it (then deleted), with
 * `read` reading a connection string.
 */
export function snapshotValueThroughNeon(
  env: Time,
  api: Api,
  projectId: string,
  read: (uri: string) => Promise<string | null>,
): SnapshotValue {
  return (snapshotId, liveId) => snapshotValue(env, api, projectId, snapshotId, liveId, read);
}

async function snapshotValue(
  env: Time,
  api: Api,
  projectId: string,
  snapshotId: string,
  liveId: string,
  read: (uri: string) => Promise<string | null>,
) {
  const { data } = await unlocked(env, () =>
    api.restoreSnapshot(
      { projectId, snapshotId },
      { target_branch_id: liveId, finalize_restore: false, name: `chaos-check-${snapshotId}` },
    ),
  );
  await neonIdle(env, api, projectId);
  try {
    const { data: uri } = await api.getConnectionUri({
      projectId,
      branch_id: data.branch.id,
      database_name: 'neondb',
      role_name: 'neondb_owner',
    });
    return await read(uri.uri);
  } finally {
    await unlocked(env, () => api.deleteProjectBranch({ projectId, branchId: data.branch.id }));
    await neonIdle(env, api, projectId);
  }
}

/** Neon and the store agree: branches, snapshots, no intent, no lock. */
async function agreement(api: Api, store: RewindStore, projectId: string): Promise<string[]> {
  const violations: string[] = [];
  const [state, versions, open, previews, lock] = await Promise.all([
    store.getProjectState(projectId),
    store.listVersions(projectId),
    store.listRestores(projectId, { open: true }),
    store.listPreviews(projectId),
    store.getLock(projectId),
  ]);
  const branches = (await api.listProjectBranches({ projectId })).data.branches;
  const snapshots = (await api.listSnapshots(projectId)).data.snapshots;
  if (open.length) violations.push(`open restores left: ${open.map((r) => `${r.id}@${r.phase}`).join(', ')}`);
  if (state.pendingCreates.length)
    violations.push(`pending creates left: ${state.pendingCreates.map((c) => c.name).join(', ')}`);
  if (state.pendingCleanup.length)
    violations.push(`pending cleanup left: ${state.pendingCleanup.join(', ')}`);
  if (lock) violations.push(`lock still held by ${lock.kind} ${lock.id}`);
  const previewBranches = new Set(previews.map((p) => p.branchId));
  const extra = branches.filter((b) => b.name !== 'main' && !previewBranches.has(b.id));
  if (extra.length) violations.push(`leaked branches: ${extra.map((b) => b.name).join(', ')}`);
  for (const preview of previews)
    if (!branches.some((b) => b.id === preview.branchId))
      violations.push(`preview ${preview.id} has no branch`);
  const snapshotIds = new Set(snapshots.map((s) => s.id));
  const versionSnapshots = new Set(versions.map((v) => v.snapshotId));
  const orphans = snapshots.filter((s) => !versionSnapshots.has(s.id));
  if (orphans.length) violations.push(`snapshots without metadata: ${orphans.map((s) => s.name).join(', ')}`);
  const ghosts = versions.filter((v) => !snapshotIds.has(v.snapshotId));
  if (ghosts.length) violations.push(`metadata without snapshot: ${ghosts.map((v) => v.id).join(', ')}`);
  return violations;
}

export async function checkInvariants(input: {
  env: Env;
  api: Api;
  store: RewindStore;
  projectId: string;
  snapshotValue: SnapshotValue;
  heard: Heard;
  /** False when the workload itself left data no version holds (see World.dirtyAt). */
  checkLive: boolean;
  /** What the checks could not look at, for the seed's log. */
  notes: string[];
}): Promise<string[]> {
  const { env, api, store, projectId, heard, checkLive, notes } = input;
  const violations = await agreement(api, store, projectId);
  const state = await store.getProjectState(projectId);
  const versions = await store.listVersions(projectId);
  const restores = await store.listRestores(projectId, { limit: 1_000 });
  const live = (await api.listProjectBranches({ projectId })).data.branches.find((b) => b.name === 'main');
  if (!live) return [...violations, 'no live branch'];

  // The live data (over the unchanged connection string) is what the current version holds.
  const current = versions.find((v) => v.id === state.currentVersionId);
  if (!current && versions.length > 0) violations.push(`current version unknown (${state.currentVersionId})`);
  if (current && checkLive) {
    // Reading the snapshot needs a branch: with open previews the plan's root-branch limit may
    // leave no room, and then this check is skipped (said in the seed's log), not failed.
    const expected = await input.snapshotValue(current.snapshotId, live.id).catch((error) => {
      if (/limit/.test(String(error?.response?.data?.message ?? error))) return SKIPPED;
      throw error;
    });
    if (expected === SKIPPED) notes.push('live data check skipped: no room for a check branch');
    const liveValue = await env.readLive();
    if (expected !== SKIPPED && liveValue !== expected)
      violations.push(
        `live data "${liveValue}" is not current version ${current.id}'s "${String(expected)}"`,
      );
  }

  const branches = (await api.listProjectBranches({ projectId })).data.branches;
  const branchIds = new Map(branches.map((b) => [b.id, b.id]));
  const previewBranches = new Set((await store.listPreviews(projectId)).map((p) => p.branchId));
  // Every restore log has exactly one terminal event, agreeing with its record and with what
  // every follower heard; a success's branch is live or gone, a failure's never lingers.
  for (const record of restores) {
    const events = await store.readEvents(projectId, record.id, 0);
    const terminal = events.filter((e) => e.event === 'restore.succeeded' || e.event === 'restore.failed');
    if (terminal.length !== 1) violations.push(`restore ${record.id}: ${terminal.length} terminal events`);
    const expected = record.status === 'succeeded' ? 'restore.succeeded' : 'restore.failed';
    if (terminal[0] && terminal[0].event !== expected)
      violations.push(`restore ${record.id}: log says ${terminal[0].event}, record ${record.status}`);
    for (const said of heard.get(record.token) ?? [])
      if (said !== 'none' && said !== expected)
        violations.push(`restore ${record.id}: a follower heard ${said}, record ${record.status}`);
    if (record.status === 'failed' && record.swapped)
      violations.push(`restore ${record.id}: failed after the swap`);
    // Neon agrees: a failed restore's branch never went live (nor lingers); a succeeded one's
    // branch is live or was replaced since (and deleted as "(old)").
    const branch = record.restoredBranchId ? branchIds.get(record.restoredBranchId) : undefined;
    if (record.status === 'failed' && branch && !previewBranches.has(branch))
      violations.push(
        `restore ${record.id}: reported failed, but its branch ${branch} is in Neon${branch === live.id ? ' and live' : ''}`,
      );
    if (record.status === 'succeeded' && branch && branch !== live.id && !previewBranches.has(branch))
      violations.push(
        `restore ${record.id}: succeeded, but its branch ${branch} lingers beside the live one`,
      );
  }

  // Undo is offered exactly when the last successful restore took an undo point.
  const lastSucceeded = restores
    .filter((r) => r.status === 'succeeded')
    .sort((a, b) => b.updatedAt - a.updatedAt)[0]; // the store's clock: instances' clocks are skewed
  const expectedUndo = lastSucceeded?.undoTaken ? lastSucceeded.undoVersionId : null;
  if ((state.undoVersionId ?? null) !== expectedUndo)
    violations.push(`undo offers ${state.undoVersionId}, expected ${expectedUndo}`);
  if (state.undoVersionId && !versions.some((v) => v.id === state.undoVersionId))
    violations.push(`undo points at missing version ${state.undoVersionId}`);

  // Never two restore operation chains in flight on the project.
  const operations = (await api.listProjectOperations({ projectId, limit: 1_000 })).data.operations
    .filter((op) => op.action === 'timeline_unarchive')
    .map((op) => ({ ...op, start: Date.parse(op.created_at), end: Date.parse(op.updated_at) }))
    .sort((a, b) => a.start - b.start);
  // Neon's times have whole seconds: two operations overlapped for sure only when neither can
  // have run after the other (each ended in a later second than the other began). One created
  // and cancelled within the second another began is not an overlap (seeds 237 and 9 were that).
  operations.forEach((op, i) => {
    for (const previous of operations.slice(0, i)) {
      if (op.end > previous.start && previous.end > op.start) {
        const show = (o: typeof op) => `${o.id} ${o.status} ${o.branch_id} ${o.created_at}..${o.updated_at}`;
        violations.push(`two restore operation chains overlapped: ${show(previous)} / ${show(op)}`);
      }
    }
  });
  return violations;
}

/** The next restore after quiescence is never refused (`locked`), and leaves everything agreeing. */
export async function finalRestore(input: {
  api: Api;
  store: RewindStore;
  projectId: string;
  world: World;
  quiesce: () => Promise<void>;
}) {
  const { api, store, projectId, world, quiesce } = input;
  const violations: string[] = [];
  const headers = { 'x-project': projectId, 'content-type': 'application/json' };
  const base = world.instances[0] as string;
  let versions = await store.listVersions(projectId);
  if (versions.length === 0) {
    // Retried, patiently: the emulator's snapshot call alone takes most of the harness's 800 ms
    // request bound, so on a loaded machine (four harnesses on two cores) a create can time out
    // several times in a row (a 503, not an invariant: each timed-out attempt is write-ahead
    // recorded and swept). Seeds 20 and 497 of the 500-seed run on 83fdc46 ran out of 5 retries
    // and passed when replayed alone.
    const create = () =>
      world.env.fetch(base, '/versions', { method: 'POST', headers, body: '{"label":"final"}' });
    let created = await create();
    for (let attempt = 0; !created.ok && attempt < 12; attempt++) {
      await world.env.sleep(2_000);
      created = await create();
    }
    versions = await store.listVersions(projectId);
    if (versions.length === 0)
      return [`could not create a version after quiescence: ${created.status} ${await created.text()}`];
  }
  const target = versions.at(-1);
  if (!target) return ['no version to restore'];
  const restore = () =>
    world.env.fetch(base, `/versions/${target.id}/restore`, {
      method: 'POST',
      headers,
      body: '{"undoable":false}',
    });
  let response = await restore();
  // A request a client gave up on can still reach an instance that was paused and start a
  // restore after the workload ended: that one runs (409 restore_in_progress); only `locked`
  // (a restore Rewind cannot settle) is a violation. Wait for it, then ask again.
  for (let attempt = 0; response.status === 409 && attempt < 5; attempt++) {
    await response.body?.cancel();
    await quiesce();
    response = await restore();
  }
  if (!response.ok) {
    violations.push(`final restore refused: ${response.status} ${await response.text()}`);
    return violations;
  }
  const events = await readStream(world.env, response);
  const last = events.at(-1);
  if (last?.event !== 'restore.succeeded')
    violations.push(
      `final restore ended ${last?.event ?? 'without an end'} ${JSON.stringify(last?.data ?? {})}`,
    );
  await neonIdle(world.env, api, projectId);
  await quiesce(); // a create that timed out above may land late: the sweep deletes it
  violations.push(...(await agreement(api, store, projectId)).map((v) => `after the final restore: ${v}`));
  return violations;
}
