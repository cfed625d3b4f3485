import { EndpointType } from '@neondatabase/api-client';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_LIMITS } from './options';
import { type Harness, readyProject, startHarness, validatorFor, waitForOperations } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ limits: { maxSnapshots: 3, maxBranches: 5, maxRootBranches: 3 } });
});
afterAll(() => h.close());
afterEach(() => expect(h.violations.splice(0)).toEqual([]));

describe('the spec validation harness', () => {
  it('flags a body that breaks the spec', () => {
    const validate = validatorFor('GET', '/projects/p-1/branches/br-1', 200);
    expect(validate?.({ branch: { id: 'br-1' } })).toBe(false);
    expect(validate?.errors?.some((e) => e.message?.includes('required'))).toBe(true);
  });
});

describe('projects', () => {
  it('creates, gets, lists, searches and deletes', async () => {
    const created = await h.api.createProject({ project: { name: 'alpha', pg_version: 16 } });
    expect(created.status).toBe(201);
    const { project, branch, endpoints, roles, databases, operations, connection_uris } = created.data;
    expect(branch).toMatchObject({
      name: 'main',
      default: true,
      current_state: 'init',
      pending_state: 'ready',
    });
    expect(branch.parent_id).toBeUndefined();
    expect(endpoints[0]).toMatchObject({ type: 'read_write', branch_id: branch.id });
    expect(roles[0]?.name).toBe('neondb_owner');
    expect(databases[0]?.name).toBe('neondb');
    expect(connection_uris[0]?.connection_parameters).toMatchObject({
      database: 'neondb',
      role: 'neondb_owner',
    });
    expect(operations.map((op) => op.action)).toEqual(['create_timeline', 'start_compute']);
    await waitForOperations(h, project.id, operations);
    expect((await h.api.getProjectBranch(project.id, branch.id)).data.branch.current_state).toBe('ready');

    expect((await h.api.getProject(project.id)).data.project).toMatchObject({
      id: project.id,
      name: 'alpha',
      pg_version: 16,
    });
    const listed = await h.api.listProjects({ search: 'alph' });
    expect(listed.data.projects.map((p) => p.id)).toContain(project.id);
    expect((await h.api.listProjects({ search: 'nothing-like-it' })).data.projects).toEqual([]);

    const deleted = await h.api.deleteProject(project.id);
    expect(deleted.status).toBe(200);
    const gone = await h.api.getProject(project.id);
    expect(gone.status).toBe(404);
    // Neon's words, with no id in them (kislerdm/terraform-provider-neon#154).
    expect(gone.data).toMatchObject({ code: '', message: 'project not found' });
  });

  it('rejects an invalid create body', async () => {
    for (const body of [
      'not json',
      '[]',
      '{}',
      '{"project": 1}',
      '{"project": {"pg_version": 9}}',
      '{"project": {"name": 5}}',
    ]) {
      const response = await h.fetch('/projects', { method: 'POST', body });
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ code: '', message: expect.any(String) });
    }
  });
});

describe('branches', () => {
  it('creates child branches with copied data and an endpoint, lists them with pagination, sort and search', async () => {
    const { projectId, branchId } = await readyProject(h, 'branches');
    const child = await h.api.createProjectBranch(projectId, {
      branch: { name: 'dev', parent_id: branchId },
      endpoints: [{ type: EndpointType.ReadWrite }],
    });
    expect(child.status).toBe(201);
    expect(child.data.branch).toMatchObject({ name: 'dev', parent_id: branchId, init_source: 'parent-data' });
    expect(child.data.endpoints).toHaveLength(1);
    await waitForOperations(h, projectId, child.data.operations);
    const dup = await h.api.createProjectBranch(projectId, { branch: { name: 'dev' } });
    expect(dup.status).toBe(409);
    expect(dup.data).toMatchObject({ message: 'branch with the provided name "dev" already exists' });
    for (const name of ['a-1', 'a-2']) {
      const made = await h.api.createProjectBranch(projectId, { branch: { name } });
      await waitForOperations(h, projectId, made.data.operations);
    }

    const page1 = await h.api.listProjectBranches({
      projectId,
      limit: 2,
      sort_by: 'name',
      sort_order: 'asc',
    });
    expect(page1.data.branches.map((b) => b.name)).toEqual(['a-1', 'a-2']);
    expect(page1.data.pagination?.next).toBeTruthy();
    const page2 = await h.api.listProjectBranches({
      projectId,
      limit: 2,
      sort_by: 'name',
      sort_order: 'asc',
      cursor: page1.data.pagination?.next as string,
    });
    expect(page2.data.branches.map((b) => b.name)).toEqual(['dev', 'main']);
    expect(page2.data.pagination?.next).toBeUndefined();
    const desc = await h.api.listProjectBranches({ projectId, sort_by: 'name', sort_order: 'desc' });
    expect(desc.data.branches.map((b) => b.name)).toEqual(['main', 'dev', 'a-2', 'a-1']);
    // Search matches names or ids: a random id may contain "a-" as well.
    const search = await h.api.listProjectBranches({ projectId, search: 'a-' });
    expect(
      search.data.branches
        .filter((b) => b.name.includes('a-'))
        .map((b) => b.name)
        .sort(),
    ).toEqual(['a-1', 'a-2']);
    expect(search.data.branches.every((b) => b.name.includes('a-') || b.id.includes('a-'))).toBe(true);
    const byId = await h.api.listProjectBranches({ projectId, search: branchId.slice(0, 12) });
    expect(byId.data.branches.map((b) => b.id)).toContain(branchId);

    for (const query of ['limit=0', 'limit=10001', 'sort_by=size', 'sort_order=up', 'cursor=%%%']) {
      expect((await h.fetch(`/projects/${projectId}/branches?${query}`)).status, query).toBe(400);
    }

    const endpoints = await h.api.listProjectBranchEndpoints(projectId, child.data.branch.id);
    expect(endpoints.data.endpoints.map((e) => e.id)).toEqual([child.data.endpoints[0]?.id]);
    expect((await h.api.listProjectEndpoints(projectId)).data.endpoints).toHaveLength(2);
  });

  it('enforces the delete rules: default, protected, children; 204 when missing', async () => {
    const { projectId, branchId } = await readyProject(h, 'delete-rules');
    expect((await h.api.deleteProjectBranch({ projectId, branchId })).status).toBe(422);

    const parent = await h.api.createProjectBranch(projectId, {
      branch: { name: 'parent', protected: true },
    });
    await waitForOperations(h, projectId, parent.data.operations);
    const protectedDelete = await h.api.deleteProjectBranch({ projectId, branchId: parent.data.branch.id });
    expect(protectedDelete.status).toBe(422);
    expect(protectedDelete.data).toMatchObject({ message: 'cannot delete a protected branch' });

    const mid = await h.api.createProjectBranch(projectId, { branch: { name: 'mid' } });
    await waitForOperations(h, projectId, mid.data.operations);
    const leaf = await h.api.createProjectBranch(projectId, {
      branch: { name: 'leaf', parent_id: mid.data.branch.id },
    });
    await waitForOperations(h, projectId, leaf.data.operations);
    const withChildren = await h.api.deleteProjectBranch({ projectId, branchId: mid.data.branch.id });
    expect(withChildren.status).toBe(422);
    expect(withChildren.data).toMatchObject({ message: 'cannot delete a branch that has child branches' });

    const ok = await h.api.deleteProjectBranch({ projectId, branchId: leaf.data.branch.id });
    expect(ok.status).toBe(200);
    await waitForOperations(h, projectId, ok.data.operations);
    expect((await h.api.deleteProjectBranch({ projectId, branchId: leaf.data.branch.id })).status).toBe(204);
    expect(
      (await h.api.deleteProjectBranch({ projectId, branchId: 'br-never-existed-00000000' })).status,
    ).toBe(204);
  });

  it('enforces the branch and root-branch limits', async () => {
    const { projectId, branchId } = await readyProject(h, 'limits');
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 's' });
    await waitForOperations(h, projectId, snap.data.operations);
    // Root branches: main + two previews = 3 (the limit).
    for (let i = 0; i < 2; i++) {
      const preview = await h.api.restoreSnapshot({ projectId, snapshotId: snap.data.snapshot.id }, {});
      expect(preview.status).toBe(200);
      await waitForOperations(h, projectId, preview.data.operations);
    }
    const third = await h.api.restoreSnapshot({ projectId, snapshotId: snap.data.snapshot.id }, {});
    expect(third.status).toBe(422);
    expect(third.data).toMatchObject({
      code: 'ROOT_BRANCHES_LIMIT_EXCEEDED',
      message: expect.stringContaining('root branches limit exceeded'),
    });
    for (const name of ['c1', 'c2']) {
      const made = await h.api.createProjectBranch(projectId, { branch: { name } });
      await waitForOperations(h, projectId, made.data.operations);
    }
    const sixth = await h.api.createProjectBranch(projectId, { branch: { name: 'c3' } });
    expect(sixth.status).toBe(422);
    expect(sixth.data).toMatchObject({
      code: 'BRANCHES_LIMIT_EXCEEDED',
      message: expect.stringContaining('branches limit exceeded'),
    });
  });
});

describe('snapshots', () => {
  it('takes inputs from the query only, like Neon: a JSON body is ignored', async () => {
    const { projectId, branchId } = await readyProject(h, 'snap-query');
    const response = await h.fetch(`/projects/${projectId}/branches/${branchId}/snapshot`, {
      method: 'POST',
      body: JSON.stringify({ name: 'from-body', expires_at: '2099-01-01T00:00:00Z' }),
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.snapshot.name).not.toBe('from-body');
    expect(body.snapshot.expires_at).toBeUndefined();
    await waitForOperations(h, projectId, body.operations);

    const named = await h.api.createSnapshot({
      projectId,
      branchId,
      name: 'v1',
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(named.data.snapshot).toMatchObject({ name: 'v1', expires_at: '2099-01-01T00:00:00Z' });
    // The spec's point in time, and no size until Neon has calculated it.
    expect(named.data.snapshot.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(named.data.snapshot.timestamp).toBe(named.data.snapshot.created_at);
    expect(named.data.snapshot.full_size).toBeUndefined();
    await waitForOperations(h, projectId, named.data.operations);
    const listed = (await h.api.listSnapshots(projectId)).data.snapshots.find(
      (s) => s.id === named.data.snapshot.id,
    );
    expect(listed?.full_size).toBeGreaterThan(0);

    // PATCH takes expires_at (null clears it) as the newer SDK and CLI send it.
    const cleared = await h.fetch(`/projects/${projectId}/snapshots/${named.data.snapshot.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ snapshot: { expires_at: null } }),
    });
    expect((await cleared.json()).snapshot.expires_at).toBeUndefined();
    const set = await h.fetch(`/projects/${projectId}/snapshots/${named.data.snapshot.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ snapshot: { expires_at: '2098-01-01T00:00:00Z' } }),
    });
    expect((await set.json()).snapshot.expires_at).toBe('2098-01-01T00:00:00Z');
  });

  it('allows repeated names by default (current CLI); refuses them with uniqueSnapshotNames', async () => {
    const { projectId, branchId } = await readyProject(h, 'snap-names');
    const a = await h.api.createSnapshot({ projectId, branchId, name: 'same' });
    await waitForOperations(h, projectId, a.data.operations);
    const b = await h.api.createSnapshot({ projectId, branchId, name: 'same' });
    expect(b.status).toBe(200);
    expect(b.data.snapshot.id).not.toBe(a.data.snapshot.id);
    await waitForOperations(h, projectId, b.data.operations);
    const unique = await startHarness({ uniqueSnapshotNames: true });
    try {
      const p = await readyProject(unique, 'unique');
      const first = await unique.api.createSnapshot({
        projectId: p.projectId,
        branchId: p.branchId,
        name: 'same',
      });
      await waitForOperations(unique, p.projectId, first.data.operations);
      const dup = await unique.api.createSnapshot({
        projectId: p.projectId,
        branchId: p.branchId,
        name: 'same',
      });
      expect(dup.status).toBe(409);
      expect(dup.data).toMatchObject({ message: 'snapshot with the provided name "same" already exists' });
    } finally {
      await unique.close();
    }
  });

  it('validates names, points in time, root-only and the quota', async () => {
    const { projectId, branchId } = await readyProject(h, 'snap-rules');
    const first = await h.api.createSnapshot({ projectId, branchId, name: 'same' });
    await waitForOperations(h, projectId, first.data.operations);

    const now = new Date().toISOString();
    expect((await h.api.createSnapshot({ projectId, branchId, lsn: '0/1', timestamp: now })).status).toBe(
      400,
    );
    expect((await h.api.createSnapshot({ projectId, branchId, timestamp: 'yesterday' })).status).toBe(400);
    expect(
      (await h.api.createSnapshot({ projectId, branchId, timestamp: '2001-01-01T00:00:00Z' })).status,
    ).toBe(400);
    expect(
      (await h.api.createSnapshot({ projectId, branchId, expires_at: '2001-01-01T00:00:00Z' })).status,
    ).toBe(400);
    expect((await h.api.createSnapshot({ projectId, branchId, lsn: 'nope' })).status).toBe(400);
    const atHead = await h.api.createSnapshot({ projectId, branchId, name: 'head', timestamp: now });
    expect(atHead.status).toBe(200);
    await waitForOperations(h, projectId, atHead.data.operations);

    const child = await h.api.createProjectBranch(projectId, { branch: { name: 'child' } });
    await waitForOperations(h, projectId, child.data.operations);
    const fromChild = await h.api.createSnapshot({ projectId, branchId: child.data.branch.id });
    expect(fromChild.status).toBe(422);
    expect(fromChild.data).toMatchObject({ message: 'snapshots can only be created from root branches' });

    const third = await h.api.createSnapshot({ projectId, branchId, name: 'third' });
    await waitForOperations(h, projectId, third.data.operations);
    const over = await h.api.createSnapshot({ projectId, branchId, name: 'fourth' });
    expect(over.status).toBe(422);
    expect(over.data).toMatchObject({ message: expect.stringContaining('snapshots limit exceeded') });
  });

  it('lists, renames and deletes (202), and sweeps expired ones', async () => {
    const { projectId, branchId } = await readyProject(h, 'snap-crud');
    const a = await h.api.createSnapshot({ projectId, branchId, name: 'a' });
    await waitForOperations(h, projectId, a.data.operations);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const b = await h.api.createSnapshot({ projectId, branchId, name: 'b', expires_at: later });
    expect(b.data.snapshot.expires_at).toBe(later.replace(/\.\d+Z$/, 'Z'));
    await waitForOperations(h, projectId, b.data.operations);
    expect((await h.api.listSnapshots(projectId)).data.snapshots.map((s) => s.name)).toEqual(['a', 'b']);
    // Made to expire soon only now: how long the creates took (a loaded machine) cannot matter.
    const soon = new Date(Date.now() + 1_000).toISOString();
    // Through the emulator's PATCH (the SDK's update type names only `name`).
    const expiring = await h.fetch(`/projects/${projectId}/snapshots/${b.data.snapshot.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ snapshot: { expires_at: soon } }),
    });
    expect(expiring.status).toBe(200);

    const renamed = await h.api.updateSnapshot(projectId, a.data.snapshot.id, { snapshot: { name: 'a2' } });
    expect(renamed.status).toBe(200);
    expect(renamed.data.snapshot.name).toBe('a2');
    // Names may repeat (the default, as Neon's current CLI shows).
    const same = await h.api.updateSnapshot(projectId, a.data.snapshot.id, { snapshot: { name: 'b' } });
    expect(same.status).toBe(200);
    await h.api.updateSnapshot(projectId, a.data.snapshot.id, { snapshot: { name: 'a2' } });
    expect(
      (
        await h.fetch(`/projects/${projectId}/snapshots/${a.data.snapshot.id}`, {
          method: 'PATCH',
          body: '{}',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await h.fetch(`/projects/${projectId}/snapshots/${a.data.snapshot.id}`, {
          method: 'PATCH',
          body: '{"snapshot":{"name":3}}',
        })
      ).status,
    ).toBe(400);

    await new Promise((resolve) => setTimeout(resolve, 2_600));
    expect((await h.api.listSnapshots(projectId)).data.snapshots.map((s) => s.name)).toEqual(['a2']);

    const deleted = await h.api.deleteSnapshot(projectId, a.data.snapshot.id);
    expect(deleted.status).toBe(202);
    expect(deleted.data.operations).toHaveLength(1);
    await waitForOperations(h, projectId, deleted.data.operations);
    expect((await h.api.listSnapshots(projectId)).data.snapshots).toEqual([]);
    expect((await h.api.deleteSnapshot(projectId, a.data.snapshot.id)).status).toBe(404);
    const restoreDeleted = await h.api.restoreSnapshot({ projectId, snapshotId: a.data.snapshot.id }, {});
    expect(restoreDeleted.status).toBe(404);
  });

  it('validates the restore body', async () => {
    const { projectId, branchId } = await readyProject(h, 'restore-body');
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 's' });
    await waitForOperations(h, projectId, snap.data.operations);
    const path = `/projects/${projectId}/snapshots/${snap.data.snapshot.id}/restore`;
    for (const body of ['{"finalize_restore":"yes"}', '{"name":1}', '[1]', '{bad']) {
      expect((await h.fetch(path, { method: 'POST', body })).status, body).toBe(400);
    }
    expect(
      (await h.fetch(path, { method: 'POST', body: '{"target_branch_id":"br-missing-00000000"}' })).status,
    ).toBe(404);
    expect((await h.fetch(path, { method: 'POST', body: '{"name":"main"}' })).status).toBe(409);
  });
});

describe('operations, connection_uri', () => {
  it('gets one operation and lists them newest first with pagination', async () => {
    const { projectId, branchId } = await readyProject(h, 'ops');
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 's' });
    await waitForOperations(h, projectId, snap.data.operations);
    const all = await h.api.listProjectOperations({ projectId, limit: 10 });
    expect(all.data.operations.map((op) => op.action)).toEqual([
      'create_timeline',
      'start_compute',
      'create_timeline',
    ]);
    expect(all.data.operations[0]?.id).toBe(snap.data.operations[0]?.id);
    expect(all.data.operations.every((op) => op.status === 'finished' && op.total_duration_ms >= 0)).toBe(
      true,
    );
    const first = await h.api.listProjectOperations({ projectId, limit: 2 });
    expect(first.data.operations).toHaveLength(2);
    const rest = await h.api.listProjectOperations({
      projectId,
      limit: 2,
      cursor: first.data.pagination?.cursor,
    });
    expect(rest.data.operations.map((op) => op.id)).toEqual([all.data.operations[2]?.id]);
    expect((await h.fetch(`/projects/${projectId}/operations?limit=1001`)).status).toBe(400);
    expect((await h.api.getProjectOperation(projectId, crypto.randomUUID())).status).toBe(404);
  });

  it('answers connection_uri with required params, pooled, and 404s', async () => {
    const { projectId, uri } = await readyProject(h, 'conn');
    const ok = await h.api.getConnectionUri({
      projectId,
      database_name: 'neondb',
      role_name: 'neondb_owner',
    });
    expect(ok.data.uri).toBe(uri);
    const pooled = await h.api.getConnectionUri({
      projectId,
      database_name: 'neondb',
      role_name: 'neondb_owner',
      pooled: true,
    });
    expect(pooled.status).toBe(200);
    // The pooled variant has an address of its own and reaches the same database.
    expect(pooled.data.uri).not.toBe(uri);
    const direct = new pg.Client(uri);
    await direct.connect();
    await direct.query(`CREATE TABLE seen (v text); INSERT INTO seen VALUES ('direct')`);
    await direct.end();
    const viaPooler = new pg.Client(pooled.data.uri);
    await viaPooler.connect();
    expect((await viaPooler.query('SELECT v FROM seen')).rows).toEqual([{ v: 'direct' }]);
    await viaPooler.end();
    expect((await h.fetch(`/projects/${projectId}/connection_uri?database_name=neondb`)).status).toBe(400);
    expect((await h.fetch(`/projects/${projectId}/connection_uri?role_name=neondb_owner`)).status).toBe(400);
    expect(
      (await h.api.getConnectionUri({ projectId, database_name: 'other', role_name: 'neondb_owner' })).status,
    ).toBe(404);
    expect(
      (
        await h.api.getConnectionUri({
          projectId,
          database_name: 'neondb',
          role_name: 'neondb_owner',
          branch_id: 'br-x-00000000',
        })
      ).status,
    ).toBe(404);
  });
});

describe('errors: auth, ids, unknown resources', () => {
  it('answers 401 without a bearer key', async () => {
    const response = await h.fetch('/projects', { headers: { authorization: '' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      code: '',
      message: 'authentication required',
      request_id: expect.any(String),
    });
  });

  it('echoes X-Request-ID in errors', async () => {
    const response = await h.fetch('/projects/missing-project-1', { headers: { 'x-request-id': 'req-123' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('req-123');
    expect(await response.json()).toMatchObject({ request_id: 'req-123' });
  });

  it.each([
    '/projects/UPPER',
    '/projects/has_underscore',
    `/projects/${'a'.repeat(61)}`,
    '/projects/p-1/branches/BR%20x',
    '/projects/p-1/snapshots/snap!',
    '/projects/p-1/operations/not-a-uuid',
  ])('rejects the bad id in %s with 400', async (path) => {
    const response = await h.fetch(path);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining('invalid') });
  });

  it('answers 404 for unknown resources', async () => {
    const { projectId } = await readyProject(h, 'unknown');
    for (const path of [
      '/projects/no-such-project',
      `/projects/${projectId}/branches/br-none-00000000`,
      `/projects/${projectId}/branches/br-none-00000000/endpoints`,
      `/projects/${projectId}/snapshots/snap-none-00000000`,
    ]) {
      const method = path.includes('/snapshots/') ? 'DELETE' : 'GET';
      expect((await h.fetch(path, { method })).status, path).toBe(404);
    }
  });
});

describe('databases, roles, shared projects (what neonctl calls)', () => {
  it('answers them as the spec says (every response validated)', async () => {
    const { projectId, branchId } = await readyProject(h, 'db-roles');
    const dbs = await h.api.listProjectBranchDatabases(projectId, branchId);
    expect(dbs.data.databases.map((d) => [d.name, d.owner_name])).toEqual([['neondb', 'neondb_owner']]);
    expect((await h.api.getProjectBranchDatabase(projectId, branchId, 'neondb')).status).toBe(200);
    expect((await h.api.getProjectBranchDatabase(projectId, branchId, 'other')).status).toBe(404);
    const roles = await h.api.listProjectBranchRoles(projectId, branchId);
    // Lists never carry passwords; reveal_password does.
    expect(roles.data.roles).toEqual([expect.not.objectContaining({ password: expect.anything() })]);
    expect((await h.api.getProjectBranchRole(projectId, branchId, 'neondb_owner')).status).toBe(200);
    const password = await h.api.getProjectBranchRolePassword(projectId, branchId, 'neondb_owner');
    expect(password.data.password).toMatch(/^npg_/);
    expect((await h.api.listSharedProjects({})).data.projects).toEqual([]);
  });
});

describe('plans', () => {
  it("enforces each plan's documented limits, with Neon's codes", async () => {
    const free = await startHarness({ plan: 'free' });
    try {
      const { projectId, branchId } = await readyProject(free, 'free');
      const first = await free.api.createSnapshot({ projectId, branchId, name: 'one' });
      expect(first.status).toBe(200);
      await waitForOperations(free, projectId, first.data.operations);
      const second = await free.api.createSnapshot({ projectId, branchId, name: 'two' });
      expect(second.status).toBe(422);
      expect(second.data).toMatchObject({ message: expect.stringContaining('snapshots limit exceeded') });
    } finally {
      await free.close();
    }
    expect(PLAN_LIMITS.free).toMatchObject({ maxSnapshots: 1, maxBranches: 10, maxRootBranches: 3 });
    expect(PLAN_LIMITS.launch).toMatchObject({ maxSnapshots: 100, maxRootBranches: 5, maxProjects: 100 });
    expect(PLAN_LIMITS.scale).toMatchObject({ maxSnapshots: 100, maxRootBranches: 25, maxProjects: 1_000 });
  });

  it('refuses a project past the account limit with PROJECTS_LIMIT_EXCEEDED', async () => {
    const small = await startHarness({ limits: { maxProjects: 1 } });
    try {
      expect((await small.api.createProject({ project: { name: 'a' } })).status).toBe(201);
      const over = await small.api.createProject({ project: { name: 'b' } });
      expect(over.status).toBe(422);
      expect(over.data).toMatchObject({ code: 'PROJECTS_LIMIT_EXCEEDED' });
    } finally {
      await small.close();
    }
  });
});

describe('endpoint addressing', () => {
  it('falls back to one address with a port per endpoint where asked (machines with only 127.0.0.1)', async () => {
    const ports = await startHarness({ endpointAddressing: 'ports' });
    try {
      const { uri } = await readyProject(ports, 'ports');
      expect(uri).toMatch(/@127\.0\.0\.1:\d+\/neondb$/);
      const client = new pg.Client(uri);
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await ports.close();
    }
  });
});

describe('deleted branches', () => {
  it("lists soft-deleted branches only with include_deleted, under Branch Recovery; sort_order in the spec's case", async () => {
    const r = await startHarness({ branchRecovery: true });
    try {
      const { projectId } = await readyProject(r, 'recovery');
      const child = await r.api.createProjectBranch(projectId, { branch: { name: 'gone' } });
      await waitForOperations(r, projectId, child.data.operations);
      const deleted = await r.api.deleteProjectBranch({ projectId, branchId: child.data.branch.id });
      expect(deleted.data).toMatchObject({ branch: { id: child.data.branch.id } });
      await waitForOperations(r, projectId, deleted.data.operations);
      const plain = await r.api.listProjectBranches({ projectId });
      expect(plain.data.branches.map((b) => b.name)).toEqual(['main']);
      expect(plain.data.pagination).toMatchObject({ sort_by: 'updated_at', sort_order: 'desc' });
      const all = await r.api.listProjectBranches({ projectId, include_deleted: true });
      const gone = all.data.branches.find((b) => b.name === 'gone');
      expect(gone?.recovery).toMatchObject({ deletion_method: 'user' });
      expect((await r.api.getProjectBranch(projectId, child.data.branch.id)).data).toMatchObject({
        message: 'branch not found',
      });
    } finally {
      await r.close();
    }
  });
});
