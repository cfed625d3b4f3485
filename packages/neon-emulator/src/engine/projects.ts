import { newPassword } from './ids';
import { unprocessable } from './neon-error';
import type { BranchRecord, EndpointRecord, OperationRecord, ProjectRecord } from './records';
import type { World } from './world';

export interface CreateProjectInput {
  name?: string | undefined;
  region_id?: string | undefined;
  pg_version?: number | undefined;
  branch_name?: string | undefined;
  database_name?: string | undefined;
  role_name?: string | undefined;
}

export interface CreatedProject {
  project: ProjectRecord;
  branch: BranchRecord;
  endpoint: EndpointRecord;
  operations: OperationRecord[];
}

/** A project with its default root branch `main`, a read-write endpoint, `neondb`/`neondb_owner`. */
export async function createProject(world: World, input: CreateProjectInput): Promise<CreatedProject> {
  const { maxProjects } = world.options.limits;
  if (world.state.projects.length >= maxProjects) {
    throw unprocessable(
      `projects limit exceeded: the account may have at most ${maxProjects} projects`,
      'PROJECTS_LIMIT_EXCEEDED',
    );
  }
  const now = world.iso();
  const id = world.id('project');
  const project: ProjectRecord = {
    id,
    name: input.name ?? id,
    region_id: input.region_id ?? 'aws-us-east-2',
    pg_version: input.pg_version ?? 17,
    created_at: now,
    updated_at: now,
    database_name: input.database_name ?? 'neondb',
    role_name: input.role_name ?? 'neondb_owner',
    role_password: newPassword(world.runtime.random),
  };
  const branch: BranchRecord = {
    id: world.id('branch'),
    project_id: id,
    name: input.branch_name ?? 'main',
    current_state: 'init',
    pending_state: 'ready',
    state_changed_at: now,
    creation_source: 'console',
    default: true,
    protected: false,
    created_at: now,
    updated_at: now,
    created_ms: world.now(),
  };
  world.state.projects.push(project);
  world.state.branches.push(branch);
  const endpoint = await world.createEndpoint(id, branch.id);
  const operations = world.runner.enqueue(id, [
    {
      action: 'create_timeline',
      branch_id: branch.id,
      run: async () => {
        await world.data.createEmpty(branch.id);
        markReady(world, branch);
      },
    },
    {
      action: 'start_compute',
      branch_id: branch.id,
      endpoint_id: endpoint.id,
      run: async () => markActive(world, endpoint),
    },
  ]);
  return { project, branch, endpoint, operations };
}

/** Deletes the project with every branch, endpoint and snapshot (data included). */
export async function deleteProject(world: World, projectId: string): Promise<ProjectRecord> {
  const project = world.project(projectId);
  await world.runner.settled(projectId);
  for (const endpoint of world.endpointsOf(projectId)) await world.deleteEndpoint(endpoint.id);
  for (const branch of world.branchesOf(projectId)) await world.data.deleteBranch(branch.id);
  for (const snapshot of world.snapshotsOf(projectId)) await world.data.deleteSnapshot(snapshot.id);
  const keep = <T extends { project_id: string }>(list: T[]) => {
    const kept = list.filter((item) => item.project_id !== projectId);
    list.splice(0, list.length, ...kept);
  };
  keep(world.state.branches);
  keep(world.state.snapshots);
  keep(world.state.operations);
  world.state.projects.splice(world.state.projects.indexOf(project), 1);
  world.changed();
  return project;
}

export function markReady(world: World, branch: BranchRecord): void {
  const now = world.iso();
  branch.current_state = 'ready';
  delete branch.pending_state;
  branch.state_changed_at = now;
  branch.updated_at = now;
}

export function markActive(world: World, endpoint: EndpointRecord): void {
  endpoint.current_state = 'active';
  delete endpoint.pending_state;
  endpoint.updated_at = world.iso();
}
