import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emptyFaults } from './engine/faults';
import { type Harness, readyProject, sql, startHarness, waitForOperations } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ operationDurationMs: 60, retryDelayMs: 80 });
});
afterAll(() => h.close());
afterEach(() => {
  h.emulator.faults.reset();
  expect(h.violations.splice(0)).toEqual([]);
});

async function snapshotOf(projectId: string, branchId: string, name: string) {
  const snap = await h.api.createSnapshot({ projectId, branchId, name });
  await waitForOperations(h, projectId, snap.data.operations);
  return snap.data.snapshot.id;
}

describe('423 Locked while an operation runs', () => {
  it('refuses a mutation with Neon message until the operations settle', async () => {
    const { projectId, branchId } = await readyProject(h, 'lock');
    const snapshotId = await snapshotOf(projectId, branchId, 's');
    const restore = await h.api.restoreSnapshot({ projectId, snapshotId }, { finalize_restore: true });
    expect(restore.status).toBe(200);
    const blocked = await h.api.createSnapshot({
      projectId,
      branchId: restore.data.branch.id,
      name: 'during',
    });
    expect(blocked.status).toBe(423);
    expect(blocked.data).toEqual({
      code: '',
      message: 'project already has running conflicting operations, scheduling of new ones is prohibited',
      request_id: expect.any(String),
    });
    // Reads are never locked.
    expect((await h.api.listProjectBranches({ projectId })).status).toBe(200);
    await waitForOperations(h, projectId, restore.data.operations);
    expect(
      (await h.api.createSnapshot({ projectId, branchId: restore.data.branch.id, name: 'after' })).status,
    ).toBe(200);
  });
});

describe('operation faults', () => {
  it('failed: failures_count and retry_at while failed, then retried to finished', async () => {
    const { projectId, branchId } = await readyProject(h, 'op-failed');
    const snapshotId = await snapshotOf(projectId, branchId, 's');
    h.emulator.faults.set({ operations: [{ action: 'create_branch', outcome: 'failed', failures: 2 }] });
    const restore = await h.api.restoreSnapshot({ projectId, snapshotId }, {});
    const createOp = restore.data.operations.find((op) => op.action === 'create_branch');
    let seenFailed: { failures_count: number; retry_at?: string } | undefined;
    for (let i = 0; i < 200 && !seenFailed; i++) {
      const { data } = await h.api.getProjectOperation(projectId, createOp?.id as string);
      if (data.operation.status === 'failed') seenFailed = data.operation;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seenFailed?.failures_count).toBeGreaterThanOrEqual(1);
    expect(seenFailed?.retry_at).toMatch(/Z$/);
    // `failed` is not terminal: the project stays locked.
    expect((await h.api.restoreSnapshot({ projectId, snapshotId }, {})).status).toBe(423);
    const settled = await waitForOperations(h, projectId, restore.data.operations);
    expect(settled.map((op) => op.status)).toEqual(['finished', 'finished', 'finished']);
    expect(settled[1]?.failures_count).toBe(2);
  });

  it('failed then error: the restore never lands and later operations are cancelled', async () => {
    const { projectId, branchId, uri } = await readyProject(h, 'op-error');
    const client = new pg.Client(uri);
    await client.connect();
    await client.query('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    const snapshotId = await snapshotOf(projectId, branchId, 's');
    await client.query('INSERT INTO t VALUES (2)');
    await client.end();
    h.emulator.faults.set({
      operations: [{ action: 'create_branch', outcome: 'failed', failures: 1, endsIn: 'error' }],
    });
    const restore = await h.api.restoreSnapshot({ projectId, snapshotId }, { finalize_restore: true });
    const settled = await waitForOperations(h, projectId, restore.data.operations);
    expect(settled.map((op) => [op.action, op.status])).toEqual([
      ['timeline_unarchive', 'finished'],
      ['create_branch', 'error'],
      ['suspend_compute', 'cancelled'],
    ]);
    const live = (await h.api.listProjectBranches({ projectId })).data.branches.find(
      (b) => b.name === 'main',
    );
    expect(live?.id).toBe(branchId);
    const after = new pg.Client(uri);
    await after.connect();
    expect((await after.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 2 }]);
    await after.end();
  });

  it.each(['error', 'cancelled'] as const)('%s: terminal failure of the matching action', async (outcome) => {
    const { projectId, branchId } = await readyProject(h, `op-${outcome}`);
    const snapshotId = await snapshotOf(projectId, branchId, 's');
    h.emulator.faults.set({ operations: [{ action: 'timeline_unarchive', outcome }] });
    const restore = await h.api.restoreSnapshot({ projectId, snapshotId }, {});
    const settled = await waitForOperations(h, projectId, restore.data.operations);
    expect(settled.map((op) => op.status)).toEqual([outcome, 'cancelled', 'cancelled']);
    const { data } = await h.api.getProjectOperation(projectId, settled[0]?.id as string);
    expect(data.operation.error).toEqual(expect.any(String));
  });

  it('skipped: reported as skipped, the work still done', async () => {
    const { projectId, branchId } = await readyProject(h, 'op-skipped');
    const snapshotId = await snapshotOf(projectId, branchId, 's');
    h.emulator.faults.set({ operations: [{ action: 'timeline_unarchive', outcome: 'skipped' }] });
    const restore = await h.api.restoreSnapshot({ projectId, snapshotId }, {});
    const settled = await waitForOperations(h, projectId, restore.data.operations);
    expect(settled.map((op) => op.status)).toEqual(['skipped', 'finished', 'finished']);
    expect((await h.api.getProjectBranch(projectId, restore.data.branch.id)).data.branch.current_state).toBe(
      'ready',
    );
  });
});

describe('HTTP faults', () => {
  it('503 with Retry-After, for the number of times asked', async () => {
    h.emulator.faults.set({ http: [{ status: 503, path: '/projects', times: 2, retryAfter: 2 }] });
    for (let i = 0; i < 2; i++) {
      const response = await h.fetch('/projects');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toMatchObject({ message: 'service temporarily unavailable' });
    }
    expect((await h.fetch('/projects')).status).toBe(200);
  });

  it('423 and 429 storms matched by method and path', async () => {
    const { projectId, branchId } = await readyProject(h, 'storms');
    h.emulator.faults.set({
      http: [
        { status: 423, method: 'POST', path: '/snapshot', times: 3 },
        { status: 429, method: 'GET', path: '/operations', times: 2, retryAfter: 1 },
      ],
    });
    for (let i = 0; i < 3; i++)
      expect((await h.api.createSnapshot({ projectId, branchId })).status).toBe(423);
    expect((await h.fetch(`/projects/${projectId}/operations`)).status).toBe(429);
    expect((await h.fetch(`/projects/${projectId}/operations`)).status).toBe(429);
    const ok = await h.api.createSnapshot({ projectId, branchId, name: 'through' });
    expect(ok.status).toBe(200);
    await waitForOperations(h, projectId, ok.data.operations);
  });

  it('transient 404 on GET and 422 on mutations right after a branch is created', async () => {
    const { projectId, branchId } = await readyProject(h, 'lag');
    h.emulator.faults.set({ newBranchLagMs: 400 });
    const child = await h.api.createProjectBranch(projectId, {
      branch: { name: 'fresh', parent_id: branchId },
    });
    expect((await h.api.getProjectBranch(projectId, child.data.branch.id)).status).toBe(404);
    await waitForOperations(h, projectId, child.data.operations);
    const early = await h.api.createProjectBranch(projectId, {
      branch: { name: 'grandchild', parent_id: child.data.branch.id },
    });
    if (early.status !== 201) {
      expect(early.status).toBe(422);
      expect(early.data).toMatchObject({ message: 'branch not ready yet' });
    } else {
      await waitForOperations(h, projectId, early.data.operations);
    }
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await h.api.getProjectBranch(projectId, child.data.branch.id)).status).toBe(200);
  });

  it('added latency', async () => {
    h.emulator.faults.set({ latencyMs: 150 });
    const started = performance.now();
    await h.fetch('/projects');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('429 from the rate-limit buckets', () => {
  it('answers 429 with Retry-After past the per-route burst, other routes unaffected', async () => {
    const limited = await startHarness({ rateLimits: { perSecondPerRoute: 5, perMinute: 1_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await limited.fetch('/projects')).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const response = await limited.fetch('/projects');
      expect(response.headers.get('retry-after')).toBe('1');
      expect((await limited.fetch('/projects/some-project-1')).status).toBe(404);
      expect(limited.violations).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('answers 429 past the per-minute account budget', async () => {
    const limited = await startHarness({ rateLimits: { perSecondPerRoute: 100, perMinute: 4 } });
    try {
      const statuses: number[] = [];
      for (const path of ['/projects', '/projects/a-1', '/projects/b-2', '/projects', '/projects/c-3']) {
        statuses.push((await limited.fetch(path)).status);
      }
      expect(statuses).toEqual([200, 404, 404, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('the control route', () => {
  it('sets, reads and resets faults over HTTP, outside /api/v2', async () => {
    const base = h.emulator.baseURL.replace(/\/api\/v2$/, '');
    const put = await h.emulator.fetch(`${base}/_emulator/faults`, {
      method: 'PUT',
      body: JSON.stringify({ http: [{ status: 503 }], latencyMs: 0 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ http: [{ status: 503 }] });
    expect((await h.fetch('/projects')).status).toBe(503);
    expect((await h.fetch('/projects')).status).toBe(200);
    const bad = await h.emulator.fetch(`${base}/_emulator/faults`, { method: 'PUT', body: '[1]' });
    expect(bad.status).toBe(400);
    await h.emulator.fetch(`${base}/_emulator/faults`, {
      method: 'PUT',
      body: JSON.stringify({ latencyMs: 5 }),
    });
    const reset = await h.emulator.fetch(`${base}/_emulator/faults`, { method: 'DELETE' });
    expect(await reset.json()).toEqual(emptyFaults());
  });
});

describe('realistic Neon: lag, foreign operations, detaching, cold starts', () => {
  it('lags lists, runs operations Rewind did not start, detaches restored branches, wakes idle computes', async () => {
    const r = await startHarness({ operationDurationMs: 50, coldStartMs: 300 });
    try {
      const { projectId, branchId, uri } = await readyProject(r, 'realistic');
      await sql(uri, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      const snapshot = await r.api.createSnapshot({ projectId, branchId, name: 's' });
      await waitForOperations(r, projectId, snapshot.data.operations);
      r.emulator.faults.set({
        operationsListLagMs: 400,
        branchListLagMs: 400,
        detachAfterRestoreMs: 10,
        detachingMs: 600,
      });
      const restore = await r.api.restoreSnapshot(
        { projectId, snapshotId: snapshot.data.snapshot.id },
        { target_branch_id: branchId, finalize_restore: true },
      );
      // The chain Neon answers with (reference demo): no start_compute.
      expect(restore.data.operations.map((op) => op.action)).toEqual([
        'timeline_unarchive',
        'create_branch',
        'suspend_compute',
      ]);
      // The list lags the POST; a GET by id finds the operation.
      const listed = (await r.api.listProjectOperations({ projectId, limit: 100 })).data.operations;
      expect(listed.some((op) => op.id === restore.data.operations[0]?.id)).toBe(false);
      const first = restore.data.operations[0]?.id as string;
      expect((await r.api.getProjectOperation(projectId, first)).status).toBe(200);
      await waitForOperations(r, projectId, restore.data.operations);
      // Right after the swap the branch list still shows the old names.
      const lagging = (await r.api.listProjectBranches({ projectId })).data.branches;
      expect(lagging.find((b) => b.name === 'main')?.id).toBe(branchId);
      await new Promise((resolve) => setTimeout(resolve, 450));
      const caughtUp = (await r.api.listProjectBranches({ projectId })).data.branches;
      const live = caughtUp.find((b) => b.name === 'main');
      expect(live?.id).toBe(restore.data.branch.id);
      // Detaching: background work on the restored branch, with the project's lock.
      const detaching = (await r.api.getProjectBranch(projectId, live?.id as string)).data.branch;
      expect(detaching.restore_status).toBe('detaching');
      const busy = await r.api.createSnapshot({ projectId, branchId: live?.id as string, name: 'during' });
      expect(busy.status).toBe(423);
      await r.emulator.settled();
      expect((await r.api.getProjectBranch(projectId, live?.id as string)).data.branch.restore_status).toBe(
        'finalized',
      );
      // The compute is idle after the swap and wakes on the first connection (a cold start).
      const endpoint = (await r.api.listProjectEndpoints(projectId)).data.endpoints[0];
      expect(endpoint?.current_state).toBe('idle');
      const started = Date.now();
      expect(await sql(uri, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 1 }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect((await r.api.listProjectEndpoints(projectId)).data.endpoints[0]?.current_state).toBe('active');

      // Foreign operations: in the list, not Rewind's, and they hold the lock while they run.
      r.emulator.faults.set({ operationsListLagMs: 0, foreignOperations: { everyMs: 50, durationMs: 400 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ops = (await r.api.listProjectOperations({ projectId, limit: 100 })).data.operations;
      expect(ops.some((op) => op.action === 'check_availability' || op.action === 'suspend_compute')).toBe(
        true,
      );
      r.emulator.faults.set({ foreignOperations: null });
    } finally {
      await r.close();
    }
  });
});
