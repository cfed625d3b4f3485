import { assertBranchRoom } from './branches';
import { badRequest, NeonError, notFound } from './neon-error';
import type { OperationSpec } from './operation-runner';
import { markActive, markReady } from './projects';
import type { BranchRecord, EndpointRecord, OperationRecord } from './records';
import { sleepOn } from './runtime';
import type { World } from './world';

export interface RestoreInput {
  name?: string | undefined;
  target_branch_id?: string | undefined;
  finalize_restore?: boolean | undefined;
}

export interface RestoreResult {
  branch: BranchRecord;
  endpoints: EndpointRecord[];
  operations: OperationRecord[];
}

/**
 * Restore a snapshot into a new root branch. With `finalize_restore` the new branch then
 * replaces the target in the same call (neon-api.md §2.5, §3.3); without it, the new branch is
 * a preview with its own endpoint, to be finalized or deleted.
 */
export async function restoreSnapshot(
  world: World,
  projectId: string,
  snapshotId: string,
  input: RestoreInput,
): Promise<RestoreResult> {
  const snapshot = world.snapshot(projectId, snapshotId);
  const targetId = input.target_branch_id ?? snapshot.source_branch_id;
  const target = world.findBranch(projectId, targetId);
  if (!target) throw notFound('target branch', targetId);
  if (input.name !== undefined) world.assertBranchNameFree(projectId, input.name);
  world.assertUnlocked(projectId);
  world.assertSettled(target);
  if (!snapshot.ready) throw new NeonError(422, 'snapshot is not ready yet');
  assertBranchRoom(world, projectId, true);

  const now = world.iso();
  const id = world.id('branch');
  const branch: BranchRecord = {
    id,
    project_id: projectId,
    name: input.name ?? world.uniqueBranchName(projectId, `${snapshot.name} restored`),
    parent_lsn: '0/1FA22C0',
    current_state: 'init',
    pending_state: 'ready',
    state_changed_at: now,
    creation_source: 'console',
    default: false,
    protected: false,
    created_at: now,
    updated_at: now,
    restore_status: 'restored',
    restored_from: snapshot.id,
    restored_as: target.id,
    created_ms: world.now(),
  };
  world.state.branches.push(branch);

  const specs: OperationSpec[] = [
    { action: 'timeline_unarchive', branch_id: target.id },
    {
      action: 'create_branch',
      branch_id: id,
      run: async () => {
        await world.data.createFromSnapshot(id, snapshot.id);
        markReady(world, branch);
        scheduleDetach(world, branch);
      },
    },
  ];
  let endpoints: EndpointRecord[];
  if (input.finalize_restore) {
    endpoints = world.endpointsOf(projectId, target.id);
    specs.push(...finalizeSpecs(world, branch, target, undefined));
  } else {
    const endpoint = await world.createEndpoint(projectId, id);
    endpoints = [endpoint];
    specs.push({
      action: 'start_compute',
      branch_id: id,
      endpoint_id: endpoint.id,
      run: async () => markActive(world, endpoint),
    });
  }
  const operations = world.runner.enqueue(projectId, specs);
  return { branch, endpoints, operations };
}

/** `POST /branches/{id}/finalize_restore`: the preview branch replaces the branch it restores. */
export function finalizeRestore(
  world: World,
  projectId: string,
  branchId: string,
  oldName: string | undefined,
): OperationRecord[] {
  const branch = world.branch(projectId, branchId);
  if (branch.restore_status !== 'restored' || branch.restored_as === undefined) {
    throw badRequest('branch is not a restored branch awaiting finalization');
  }
  if (branch.current_state !== 'ready') throw new NeonError(422, 'branch not ready yet');
  const target = world.findBranch(projectId, branch.restored_as);
  if (!target) throw notFound('target branch', branch.restored_as);
  if (oldName !== undefined) world.assertBranchNameFree(projectId, oldName);
  world.assertUnlocked(projectId);
  world.assertSettled(branch);
  return world.runner.enqueue(projectId, finalizeSpecs(world, branch, target, oldName));
}

/**
 * Move the target's computes to the restored branch (same endpoint id and port, so the
 * connection string is unchanged; open connections drop), swap names, move `protected` and
 * `default`. The swap happens when the compute is suspended, so nobody reaches the new data
 * before the operations settle.
 */
function finalizeSpecs(
  world: World,
  restored: BranchRecord,
  target: BranchRecord,
  oldName: string | undefined,
): OperationSpec[] {
  const swap = async () => {
    world.freezeBranchReads(target.project_id);
    const moved = world.endpointsOf(target.project_id, target.id);
    // A branch has at most one read-write compute: the preview's own one goes away.
    for (const own of world.endpointsOf(restored.project_id, restored.id)) await world.deleteEndpoint(own.id);
    for (const endpoint of moved) {
      world.dropConnections(endpoint.id);
      endpoint.branch_id = restored.id;
      if (world.options.finalizeStartsCompute) {
        endpoint.current_state = 'init';
        endpoint.pending_state = 'active';
      } else {
        // Suspended and moved: it wakes on the next connection (a cold start).
        endpoint.current_state = 'idle';
        delete endpoint.pending_state;
      }
      endpoint.updated_at = world.iso();
    }
    const liveName = target.name;
    target.name = oldName ?? world.uniqueBranchName(target.project_id, `${liveName} (old)`, target.id);
    restored.name = liveName;
    restored.protected = target.protected;
    restored.default = target.default;
    target.protected = false;
    target.default = false;
    restored.restore_status = 'finalized';
    restored.updated_at = target.updated_at = world.iso();
    world.changed();
  };
  const endpoints = world.endpointsOf(target.project_id, target.id);
  if (endpoints.length === 0) return [{ action: 'apply_config', branch_id: restored.id, run: swap }];
  return endpoints.flatMap((endpoint, index): OperationSpec[] => [
    {
      action: 'suspend_compute',
      branch_id: target.id,
      endpoint_id: endpoint.id,
      run: index === 0 ? swap : undefined,
    },
    ...(world.options.finalizeStartsCompute
      ? [
          {
            action: 'start_compute',
            branch_id: restored.id,
            endpoint_id: endpoint.id,
            run: async () => markActive(world, endpoint),
          },
        ]
      : []),
  ]);
}

/**
 * Fault `detachAfterRestoreMs`: the spec's `BranchRestoreStatus` says a `restored` or
 * `finalized` branch "may begin `detaching` as a one-time performance optimisation, after which it
 * will continue in its original state" (the action list has `detach_parent_branch`). It is
 * background work: its operation holds the project's lock like any other.
 */
function scheduleDetach(world: World, branch: BranchRecord): void {
  const { detachAfterRestoreMs, detachingMs } = world.faults.current;
  if (detachAfterRestoreMs <= 0) return;
  world.runtime.timer(detachAfterRestoreMs, () => {
    if (!world.findBranch(branch.project_id, branch.id)) return;
    world.runner.enqueue(branch.project_id, [
      {
        action: 'detach_parent_branch',
        branch_id: branch.id,
        durationMs: detachingMs,
        background: true,
        run: async () => {
          const before = branch.restore_status;
          branch.restore_status = 'detaching';
          world.changed();
          await sleepOn(world.runtime, detachingMs * 0.7);
          branch.restore_status = before;
          world.changed();
        },
      },
    ]);
  });
}

/** Point-in-time restore; the emulator only implements Neon's refusal on restored branches. */
export function pointInTimeRestore(world: World, projectId: string, branchId: string): never {
  const branch = world.branch(projectId, branchId);
  if (branch.restore_status !== undefined) {
    throw badRequest('restore from snapshot on target branch is still ongoing');
  }
  throw new NeonError(
    422,
    'point-in-time restore is not supported by the emulator (it keeps no WAL history); use snapshots',
  );
}
