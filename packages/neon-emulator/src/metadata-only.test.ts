// The metadata-only mode and bulk seeding, for simulations of thousands of projects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ metadataOnly: true, rateLimits: { perMinute: 10_000, perSecondPerRoute: 1_000 } });
});
afterAll(() => h.close());

const control = (path: string, init?: RequestInit) =>
  h.emulator.fetch(new Request(`http://emulator.local${path}`, init));

describe('a metadata-only emulator', () => {
  it('seeds projects with snapshots at once, outside the API (no rate limit, no operations)', async () => {
    const seeded = await control('/_emulator/seed', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projects: 2_000, snapshotsPerProject: 5 }),
    });
    expect(seeded.status).toBe(200);
    const { projects } = (await seeded.json()) as {
      projects: Array<{ id: string; branchId: string; snapshots: Array<{ id: string }> }>;
    };
    expect(projects).toHaveLength(2_000);
    const [first] = projects;
    if (!first) throw new Error('no project');
    // What the API shows of a seeded project (every response validated against the spec).
    const snapshots = (await h.api.listSnapshots(first.id)).data.snapshots;
    expect(snapshots.map((s) => s.id).sort()).toEqual(first.snapshots.map((s) => s.id).sort());
    const branches = (await h.api.listProjectBranches({ projectId: first.id })).data.branches;
    expect(branches.map((b) => [b.id, b.name, b.current_state])).toEqual([[first.branchId, 'main', 'ready']]);
    const schema = await h.api.getProjectBranchSchema({
      projectId: first.id,
      branchId: first.branchId,
      db_name: 'neondb',
    });
    expect(schema.data.sql).toContain('CREATE TABLE public.app (');
    expect(schema.data.sql).toContain('OWNER TO neondb_owner;');
    expect(h.violations).toEqual([]);
  });

  it('runs restores (operations and all) and counts the requests it served', async () => {
    const seeded = await control('/_emulator/seed', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projects: 1, snapshotsPerProject: 1 }),
    });
    const { projects } = (await seeded.json()) as {
      projects: Array<{ id: string; branchId: string; snapshots: Array<{ id: string }> }>;
    };
    const [project] = projects;
    if (!project) throw new Error('no project');
    const before = (await (await control('/_emulator/stats')).json()) as { requests: number };
    const restored = await h.api.restoreSnapshot(
      { projectId: project.id, snapshotId: project.snapshots[0]?.id as string },
      { target_branch_id: project.branchId, finalize_restore: true },
    );
    await h.emulator.settled(project.id);
    const branches = (await h.api.listProjectBranches({ projectId: project.id })).data.branches;
    expect(branches.find((b) => b.name === 'main')?.id).toBe(restored.data.branch.id);
    const after = (await (await control('/_emulator/stats')).json()) as {
      requests: number;
      rateLimited: number;
      perMinute: Record<string, { requests: number }>;
    };
    expect(after.requests - before.requests).toBe(2);
    expect(after.rateLimited).toBe(0);
    expect(Object.values(after.perMinute).reduce((sum, m) => sum + m.requests, 0)).toBe(after.requests);
    // No Postgres behind it: SQL and connections are refused, plainly.
    const uri = await h.api.getConnectionUri({
      projectId: project.id,
      database_name: 'neondb',
      role_name: 'neondb_owner',
    });
    expect(uri.data.uri).toContain('.metadata-only.invalid');
    const withData = await (await import('./index')).createNeonEmulator({ rateLimits: false });
    const notMetadataOnly = await withData.fetch(
      new Request('http://e/_emulator/seed', { method: 'POST', body: '{"projects":1}' }),
    );
    expect(notMetadataOnly.status).toBe(422);
    await withData.close();
  });
});
