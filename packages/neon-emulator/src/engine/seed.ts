import { newPassword } from './ids';
import { NeonError } from './neon-error';
import type { BranchRecord, EndpointRecord, ProjectRecord, SnapshotRecord } from './records';
import type { World } from './world';

export interface SeedInput {
  projects: number;
  snapshotsPerProject: number;
}

export interface SeededProject {
  id: string;
  branchId: string;
  snapshots: Array<{ id: string; name: string; lsn: string }>;
}

/**
 * Bulk seeding for simulations (`POST /_emulator/seed`, outside `/api/v2`: no rate limit, no
 * operations): projects with a ready main branch, an endpoint and ready snapshots, at once.
 * Metadata-only emulators only (a real Postgres per branch would not fit).
 */
export async function seedProjects(world: World, input: SeedInput): Promise<SeededProject[]> {
  if (!world.options.metadataOnly) throw new NeonError(422, 'seeding needs a metadata-only emulator');
  const count = Math.floor(input.projects);
  const perProject = Math.floor(input.snapshotsPerProject);
  if (!(count >= 1 && count <= 100_000) || !(perProject >= 0 && perProject <= 1_000))
    throw new NeonError(400, 'projects must be 1..100000 and snapshotsPerProject 0..1000');
  const seeded: SeededProject[] = [];
  const now = world.iso();
  for (let p = 0; p < count; p++) {
    const id = world.id('project');
    const project: ProjectRecord = {
      id,
      name: `seeded-${p}`,
      region_id: 'aws-us-east-2',
      pg_version: 17,
      created_at: now,
      updated_at: now,
      database_name: 'neondb',
      role_name: 'neondb_owner',
      role_password: newPassword(world.runtime.random),
    };
    const branch: BranchRecord = {
      id: world.id('branch'),
      project_id: id,
      name: 'main',
      current_state: 'ready',
      state_changed_at: now,
      creation_source: 'console',
      default: true,
      protected: false,
      created_at: now,
      updated_at: now,
      created_ms: world.now(),
    };
    const endpoint: EndpointRecord = {
      id: world.id('endpoint'),
      project_id: id,
      branch_id: branch.id,
      type: 'read_write',
      current_state: 'idle',
      created_at: now,
      updated_at: now,
      port: 5432,
    };
    endpoint.host = `${endpoint.id}.metadata-only.invalid`;
    world.state.projects.push(project);
    world.state.branches.push(branch);
    world.state.endpoints.push(endpoint);
    await world.data.createEmpty(branch.id);
    const snapshots: SeededProject['snapshots'] = [];
    for (let s = 0; s < perProject; s++) {
      const snapshot: SnapshotRecord = {
        id: world.id('snapshot'),
        project_id: id,
        name: `seeded-${s}`,
        source_branch_id: branch.id,
        created_at: now,
        timestamp: now,
        manual: true,
        ready: true,
        full_size: 0,
      };
      snapshot.lsn = (await world.data.snapshot(branch.id, snapshot.id)).lsn;
      world.state.snapshots.push(snapshot);
      snapshots.push({ id: snapshot.id, name: snapshot.name, lsn: snapshot.lsn });
    }
    seeded.push({ id, branchId: branch.id, snapshots });
  }
  world.changed();
  return seeded;
}
