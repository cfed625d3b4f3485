import { isoTime } from './ids';
import { NeonError, unprocessable } from './neon-error';
import { markActive, markReady } from './projects';
import type { BranchRecord, EndpointRecord, OperationRecord } from './records';
import type { World } from './world';

export interface CreateBranchInput {
  name?: string | undefined;
  parent_id?: string | undefined;
  protected?: boolean | undefined;
  /** Create a read-write endpoint for the branch. */
  endpoint?: boolean | undefined;
  annotation?: Record<string, string> | undefined;
}

/** Plan limits: total branches, and root branches (production, "(old)" backups, restores). */
export function assertBranchRoom(world: World, projectId: string, root: boolean): void {
  const branches = world.branchesOf(projectId);
  const { maxBranches, maxRootBranches } = world.options.limits;
  if (branches.length >= maxBranches) {
    throw unprocessable(
      `branches limit exceeded: the project may have at most ${maxBranches} branches`,
      'BRANCHES_LIMIT_EXCEEDED',
    );
  }
  if (root && branches.filter((b) => b.parent_id === undefined).length >= maxRootBranches) {
    throw unprocessable(
      `root branches limit exceeded: the project may have at most ${maxRootBranches} root branches`,
      'ROOT_BRANCHES_LIMIT_EXCEEDED',
    );
  }
}

/** A child branch holding a copy of its parent's current data. */
export async function createBranch(
  world: World,
  projectId: string,
  input: CreateBranchInput,
): Promise<{ branch: BranchRecord; endpoints: EndpointRecord[]; operations: OperationRecord[] }> {
  world.project(projectId);
  const parent = input.parent_id
    ? world.branch(projectId, input.parent_id)
    : world.branchesOf(projectId).find((b) => b.default);
  if (!parent) throw unprocessable('the project has no default branch to branch from');
  if (parent.current_state !== 'ready') throw new NeonError(422, 'branch not ready yet');
  world.assertUnlocked(projectId);
  world.assertSettled(parent);
  if (input.name !== undefined) world.assertBranchNameFree(projectId, input.name);
  assertBranchRoom(world, projectId, false);

  const now = world.iso();
  const id = world.id('branch');
  const branch: BranchRecord = {
    id,
    project_id: projectId,
    name: input.name ?? world.uniqueBranchName(projectId, id),
    parent_id: parent.id,
    parent_lsn: '0/1FA22C0',
    parent_timestamp: now,
    current_state: 'init',
    pending_state: 'ready',
    state_changed_at: now,
    creation_source: 'console',
    default: false,
    protected: input.protected ?? false,
    created_at: now,
    updated_at: now,
    init_source: 'parent-data',
    created_ms: world.now(),
  };
  if (input.annotation) branch.annotation = input.annotation;
  world.state.branches.push(branch);
  const endpoints = input.endpoint ? [await world.createEndpoint(projectId, id)] : [];
  const operations = world.runner.enqueue(projectId, [
    {
      action: 'create_branch',
      branch_id: id,
      run: async () => {
        await world.data.createFromBranch(id, parent.id);
        markReady(world, branch);
      },
    },
    ...endpoints.map((endpoint) => ({
      action: 'start_compute',
      branch_id: id,
      endpoint_id: endpoint.id,
      run: async () => markActive(world, endpoint),
    })),
  ]);
  return { branch, endpoints, operations };
}

/**
 * Neon's delete rules: the default branch, protected branches and branches with children are
 * refused; a missing branch is `undefined` (the route answers 204).
 */
export async function deleteBranch(
  world: World,
  projectId: string,
  branchId: string,
): Promise<{ branch: BranchRecord; operations: OperationRecord[] } | undefined> {
  world.project(projectId);
  const branch = world.findBranch(projectId, branchId);
  if (!branch) return undefined;
  if (branch.default) throw unprocessable('cannot delete the default branch');
  if (branch.protected) throw unprocessable('cannot delete a protected branch');
  if (world.branchesOf(projectId).some((b) => b.parent_id === branch.id)) {
    throw unprocessable('cannot delete a branch that has child branches');
  }
  world.assertUnlocked(projectId);

  const endpoints = world.endpointsOf(projectId, branch.id);
  // The branch disappears from lists at once; its computes stop and its data goes as the
  // operations run.
  world.state.branches.splice(world.state.branches.indexOf(branch), 1);
  if (world.options.branchRecovery) {
    // Neon's Branch Recovery (preview): soft-deleted, listed with include_deleted for 7 days.
    const deletedAt = world.now();
    world.state.deletedBranches ??= [];
    world.state.deletedBranches.push({
      ...structuredClone(branch),
      recovery: {
        deleted_at: isoTime(deletedAt),
        recoverable_until: isoTime(deletedAt + 7 * 86_400_000),
        deletion_method: 'user',
      },
    });
  }
  for (const endpoint of endpoints) world.dropConnections(endpoint.id);
  const operations = world.runner.enqueue(projectId, [
    ...endpoints.map((endpoint) => ({
      action: 'suspend_compute',
      branch_id: branch.id,
      endpoint_id: endpoint.id,
      run: () => world.deleteEndpoint(endpoint.id),
    })),
    { action: 'delete_timeline', branch_id: branch.id, run: () => world.data.deleteBranch(branch.id) },
  ]);
  world.changed();
  return { branch, operations };
}
