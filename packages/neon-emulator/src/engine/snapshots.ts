import { isoTime } from './ids';
import { badRequest, NeonError, unprocessable } from './neon-error';
import type { OperationRecord, SnapshotRecord } from './records';
import type { World } from './world';

export interface CreateSnapshotInput {
  name?: string | undefined;
  expires_at?: string | undefined;
  lsn?: string | undefined;
  timestamp?: string | undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;
// PGlite keeps no WAL history to rewind, so a point older than this is refused (see below).
const HEAD_TOLERANCE_MS = 5_000;

export function parseTimestamp(value: string, field: string): number {
  const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw badRequest(`${field} must be an RFC 3339 timestamp, got "${value}"`);
  return ms;
}

/**
 * Capture a root branch's schema and data now. Inputs are the query parameters only: Neon
 * ignores a JSON body on this route (neondatabase/website#5452).
 */
export async function createSnapshot(
  world: World,
  projectId: string,
  branchId: string,
  input: CreateSnapshotInput,
): Promise<{ snapshot: SnapshotRecord; operations: OperationRecord[] }> {
  const branch = world.branch(projectId, branchId);
  if (input.lsn !== undefined && input.timestamp !== undefined) {
    throw badRequest('lsn and timestamp are mutually exclusive');
  }
  if (input.lsn !== undefined && !LSN.test(input.lsn)) throw badRequest(`invalid lsn "${input.lsn}"`);
  if (input.timestamp !== undefined) {
    const at = parseTimestamp(input.timestamp, 'timestamp');
    const now = world.now();
    if (at > now + HEAD_TOLERANCE_MS) throw badRequest('timestamp is in the future');
    if (at < now - world.options.limits.historyWindowSeconds * 1000) {
      throw badRequest('timestamp is outside of the history retention window');
    }
    if (at < now - HEAD_TOLERANCE_MS || at < branch.created_ms) {
      throw unprocessable(
        'the emulator keeps no WAL history: only snapshots of the branch head are supported',
      );
    }
  }
  if (input.lsn !== undefined) {
    throw unprocessable('the emulator keeps no WAL history: only snapshots of the branch head are supported');
  }
  let expiresAt: string | undefined;
  if (input.expires_at !== undefined) {
    const ms = parseTimestamp(input.expires_at, 'expires_at');
    if (ms <= world.now()) throw badRequest('expires_at must be in the future');
    expiresAt = isoTime(ms);
  }
  if (branch.parent_id !== undefined) throw unprocessable('snapshots can only be created from root branches');
  if (world.options.snapshotsNeedCompute && world.endpointsOf(projectId, branch.id).length === 0)
    throw unprocessable('branch has no compute endpoint');
  world.assertUnlocked(projectId);
  if (branch.current_state !== 'ready') throw new NeonError(422, 'branch not ready yet');
  world.assertSettled(branch);
  const name = input.name ?? `${branch.name}@${world.iso()}`;
  if (name.trim() === '') throw badRequest('snapshot name must not be empty');
  assertSnapshotNameFree(world, projectId, name);
  const manual = world.snapshotsOf(projectId).filter((s) => s.manual);
  if (manual.length >= world.options.limits.maxSnapshots) {
    throw unprocessable(
      `snapshots limit exceeded: the project may have at most ${world.options.limits.maxSnapshots} manual snapshots`,
    );
  }

  const snapshot: SnapshotRecord = {
    id: world.id('snapshot'),
    project_id: projectId,
    name,
    source_branch_id: branch.id,
    created_at: world.iso(),
    manual: true,
    ready: false,
  };
  if (expiresAt) snapshot.expires_at = expiresAt;
  // The data is captured before answering, so the snapshot holds exactly the state at the call.
  const captured = await world.data.snapshot(branch.id, snapshot.id);
  // The point it was taken at (spec `Snapshot.lsn`, `timestamp`): the branch's WAL position, so
  // two snapshots with one lsn hold the same data.
  snapshot.lsn = captured.lsn;
  snapshot.timestamp =
    input.timestamp !== undefined ? isoTime(Date.parse(input.timestamp)) : snapshot.created_at;
  world.state.snapshots.push(snapshot);
  const operations = world.runner.enqueue(projectId, [
    {
      action: 'create_timeline',
      branch_id: branch.id,
      run: async () => {
        snapshot.ready = true;
        // "When absent, the logical size has not been calculated yet" (spec): known once made.
        snapshot.full_size = captured.size;
      },
    },
  ]);
  return { snapshot, operations };
}

/**
 * Whether names are unique per project is where the evidence disagrees: an older docs
 * discussion says so; Neon's current CLI (neon 5.0.1 `commands/snapshots.js`) says "Multiple
 * snapshots are named …, re-run with the snapshot id". Option `uniqueSnapshotNames`, default off.
 */
export function assertSnapshotNameFree(world: World, projectId: string, name: string, except?: string): void {
  if (!world.options.uniqueSnapshotNames) return;
  if (world.snapshotsOf(projectId).some((s) => s.name === name && s.id !== except)) {
    throw new NeonError(409, `snapshot with the provided name "${name}" already exists`);
  }
}

/**
 * `PATCH …/snapshots/{id}`: a new name, and `expires_at` (a time, or `null` to clear it). The newer
 * SDK and CLI send `expires_at`; 2.7.3's `SnapshotUpdateRequest` has only `name`, and Neon's docs
 * said backend support was pending, so Rewind never depends on it.
 */
export function updateSnapshot(
  world: World,
  projectId: string,
  snapshotId: string,
  update: { name?: string | undefined; expires_at?: string | null | undefined },
): SnapshotRecord {
  const snapshot = world.snapshot(projectId, snapshotId);
  if (update.name !== undefined) {
    if (update.name.trim() === '') throw badRequest('snapshot name must not be empty');
    assertSnapshotNameFree(world, projectId, update.name, snapshot.id);
  }
  if (typeof update.expires_at === 'string') {
    const ms = parseTimestamp(update.expires_at, 'expires_at');
    if (ms <= world.now()) throw badRequest('expires_at must be in the future');
    snapshot.expires_at = isoTime(ms);
  } else if (update.expires_at === null) delete snapshot.expires_at;
  if (update.name !== undefined) snapshot.name = update.name;
  world.changed();
  return snapshot;
}

export function deleteSnapshot(world: World, projectId: string, snapshotId: string): OperationRecord[] {
  const snapshot = world.snapshot(projectId, snapshotId);
  world.assertUnlocked(projectId);
  world.state.snapshots.splice(world.state.snapshots.indexOf(snapshot), 1);
  world.changed();
  return world.runner.enqueue(projectId, [
    { action: 'delete_timeline', run: () => world.data.deleteSnapshot(snapshot.id) },
  ]);
}

/** Neon deletes expired snapshots in a background job; so does the emulator. */
export async function sweepExpiredSnapshots(world: World, now = world.now()): Promise<number> {
  const expired = world.state.snapshots.filter((s) => s.expires_at && Date.parse(s.expires_at) <= now);
  for (const snapshot of expired) {
    world.state.snapshots.splice(world.state.snapshots.indexOf(snapshot), 1);
    await world.data.deleteSnapshot(snapshot.id);
  }
  if (expired.length > 0) world.changed();
  return expired.length;
}
