import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, readyProject, sql, startHarness, waitForOperations } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => expect(h.violations.splice(0)).toEqual([]));

describe('snapshot → change → restore with finalize_restore: true', () => {
  it('puts the snapshot data back behind the same connection string', async () => {
    const { projectId, branchId, endpointId, uri } = await readyProject(h);
    // Its own loopback address on 5432, so the URI carries no port, like Neon's.
    expect(uri).toMatch(/^postgresql:\/\/neondb_owner:[^@]+@127\.\d+\.\d+\.\d+\/neondb$/);
    expect(uri).not.toContain('sslmode');

    await sql(uri, `CREATE TABLE contacts (id serial PRIMARY KEY, name text NOT NULL)`);
    await sql(uri, `INSERT INTO contacts (name) VALUES ('Ada'), ('Grace')`);

    const snap = await h.api.createSnapshot({ projectId, branchId, name: 'v1' });
    expect(snap.status).toBe(200);
    expect(snap.data.snapshot).toMatchObject({ name: 'v1', source_branch_id: branchId, manual: true });
    await waitForOperations(h, projectId, snap.data.operations);

    // An open connection, to see it dropped by the restore as on Neon.
    const held = new pg.Client(uri);
    await held.connect();
    const dropped = new Promise<void>((resolve) =>
      held.on('error', () => resolve()).on('end', () => resolve()),
    );

    await sql(uri, `ALTER TABLE contacts ADD COLUMN company text`);
    await sql(uri, `DELETE FROM contacts WHERE name = 'Ada'`);
    await sql(uri, `INSERT INTO contacts (name, company) VALUES ('Linus', 'Linux')`);

    const restored = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { target_branch_id: branchId, finalize_restore: true },
    );
    expect(restored.status).toBe(200);
    const newBranch = restored.data.branch;
    expect(newBranch).toMatchObject({
      restore_status: 'restored',
      restored_from: snap.data.snapshot.id,
      restored_as: branchId,
    });
    expect(newBranch.parent_id).toBeUndefined();
    const actions = restored.data.operations.map((op) => op.action);
    expect(actions.slice(0, 2)).toEqual(['timeline_unarchive', 'create_branch']);
    expect(actions).toContain('suspend_compute');

    // The data change is not visible before the operations finish.
    expect(await sql<{ name: string }>(uri, `SELECT name FROM contacts ORDER BY id`)).toEqual([
      { name: 'Grace' },
      { name: 'Linus' },
    ]);
    const settled = await waitForOperations(h, projectId, restored.data.operations);
    expect(settled.every((op) => op.status === 'finished')).toBe(true);
    await dropped;

    const rows = await sql<{ name: string }>(uri, `SELECT name FROM contacts ORDER BY id`);
    expect(rows).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
    const columns = await sql<{ column_name: string }>(
      uri,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name']);

    const { data: list } = await h.api.listProjectBranches({ projectId });
    const live = list.branches.find((b) => b.name === 'main');
    const old = list.branches.find((b) => b.name === 'main (old)');
    expect(live?.id).toBe(newBranch.id);
    expect(live?.id).not.toBe(branchId);
    expect(live).toMatchObject({ default: true, restore_status: 'finalized' });
    expect(live?.restricted_actions).toEqual([expect.objectContaining({ name: 'restore' })]);
    expect(old).toMatchObject({ id: branchId, default: false });

    const { data: endpoints } = await h.api.listProjectEndpoints(projectId);
    expect(endpoints.endpoints).toHaveLength(1);
    expect(endpoints.endpoints[0]).toMatchObject({
      id: endpointId,
      branch_id: newBranch.id,
      current_state: 'active',
    });

    // Snapshots stay attached to the old branch id.
    const { data: snapshots } = await h.api.listSnapshots(projectId);
    expect(snapshots.snapshots[0]?.source_branch_id).toBe(branchId);

    // A second restore onto the live (restored) branch works; the next backup is kept unique.
    const again = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { target_branch_id: newBranch.id, finalize_restore: true },
    );
    await waitForOperations(h, projectId, again.data.operations);
    const names = (await h.api.listProjectBranches({ projectId })).data.branches.map((b) => b.name).sort();
    expect(names).toEqual(['main', 'main (old)', 'main (old) 2']);

    // The old branch can be deleted; deleting it again is a 204.
    const deleted = await h.api.deleteProjectBranch({ projectId, branchId });
    expect(deleted.status).toBe(200);
    expect(deleted.data.operations.map((op) => op.action)).toEqual(['delete_timeline']);
    await waitForOperations(h, projectId, deleted.data.operations);
    expect((await h.api.deleteProjectBranch({ projectId, branchId })).status).toBe(204);
  });

  it('restores onto the snapshot source when no target_branch_id is given', async () => {
    const { projectId, branchId, uri } = await readyProject(h, 'default-target');
    await sql(uri, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`);
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 'one' });
    await waitForOperations(h, projectId, snap.data.operations);
    await sql(uri, `INSERT INTO t VALUES (2)`);
    const restored = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { finalize_restore: true },
    );
    expect(restored.data.branch.restored_as).toBe(branchId);
    await waitForOperations(h, projectId, restored.data.operations);
    expect(await sql(uri, `SELECT x FROM t`)).toEqual([{ x: 1 }]);
  });
});

describe('preview restore (finalize_restore: false), schema diff, finalize', () => {
  it('opens the snapshot on its own endpoint, diffs it against live, then promotes it', async () => {
    const { projectId, branchId, endpointId, uri } = await readyProject(h, 'preview');
    await sql(uri, `CREATE TABLE contacts (id int PRIMARY KEY, name text)`);
    await sql(uri, `INSERT INTO contacts VALUES (1, 'Ada')`);
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 'v1' });
    await waitForOperations(h, projectId, snap.data.operations);
    await sql(uri, `ALTER TABLE contacts ADD COLUMN tags text[]; CREATE TABLE notes (body text)`);

    const preview = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { target_branch_id: branchId, name: 'preview-v1' },
    );
    expect(preview.status).toBe(200);
    expect(preview.data.branch).toMatchObject({
      name: 'preview-v1',
      restore_status: 'restored',
      default: false,
    });
    expect(preview.data.endpoints).toHaveLength(1);
    const previewEndpoint = preview.data.endpoints?.[0];
    expect(previewEndpoint?.id).not.toBe(endpointId);
    expect(preview.data.operations.map((op) => op.action)).toEqual([
      'timeline_unarchive',
      'create_branch',
      'start_compute',
    ]);
    await waitForOperations(h, projectId, preview.data.operations);

    // The live branch is untouched.
    expect((await sql(uri, `SELECT count(*)::int AS n FROM notes`))[0]).toEqual({ n: 0 });

    const conn = await h.api.getConnectionUri({
      projectId,
      branch_id: preview.data.branch.id,
      database_name: 'neondb',
      role_name: 'neondb_owner',
    });
    expect(conn.status).toBe(200);
    expect(conn.data.uri).not.toBe(uri);
    expect(await sql(conn.data.uri, `SELECT name FROM contacts`)).toEqual([{ name: 'Ada' }]);

    const diff = await h.api.getProjectBranchSchemaComparison({
      projectId,
      branchId: preview.data.branch.id,
      base_branch_id: branchId,
      db_name: 'neondb',
    });
    expect(diff.status).toBe(200);
    // Neon's format: a unified diff of pg_dump output, `--- a/<db>` / `+++ b/<db>`, 3 lines of
    // context per hunk (the docs' example starts `@@ -27,7 +27,8 @@`).
    const text = diff.data.diff ?? '';
    expect(text.startsWith('--- a/neondb\n+++ b/neondb\n@@ -')).toBe(true);
    expect(text).toContain('-    tags text[]');
    expect(text).toContain('-CREATE TABLE public.notes (');
    expect(text).toContain('-ALTER TABLE public.notes OWNER TO neondb_owner;');
    for (const hunk of text.split(/^@@.*$/m).slice(1)) {
      const lines = hunk.split('\n').filter(Boolean);
      const leading = lines.findIndex((line) => line[0] !== ' ');
      expect(leading).toBeLessThanOrEqual(3);
    }
    const schema = await h.api.getProjectBranchSchema({ projectId, branchId, db_name: 'neondb' });
    expect(schema.data.sql).toContain('-- PostgreSQL database dump');
    expect(schema.data.sql).toContain(
      'ALTER TABLE ONLY public.contacts\n    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);',
    );
    expect(schema.data.sql).toContain('CREATE TABLE public.notes (');
    // A second read of an unchanged database is the same text (no per-dump randomness).
    const again = await h.api.getProjectBranchSchema({ projectId, branchId, db_name: 'neondb' });
    expect(again.data.sql).toBe(schema.data.sql);
    const both = { projectId, branchId, db_name: 'neondb', lsn: '0/1', timestamp: '2026-01-01T00:00:00Z' };
    expect((await h.api.getProjectBranchSchema(both)).status).toBe(400);
    // At an lsn: the head's (what a snapshot just taken records) is answered; an older one is not
    // (the emulator keeps no WAL history), with a 422 rather than today's schema.
    const [{ lsn }] = (await sql(uri, 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
    const atHead = await h.api.getProjectBranchSchema({ projectId, branchId, db_name: 'neondb', lsn });
    expect(atHead.data.sql).toBe(schema.data.sql);
    await sql(uri, `CREATE TABLE later (id int)`);
    const older = await h.api
      .getProjectBranchSchema({ projectId, branchId, db_name: 'neondb', lsn })
      .catch((error: { response: { status: number } }) => error.response);
    expect(older.status).toBe(422);
    await sql(uri, `DROP TABLE later`);
    const same = await h.api.getProjectBranchSchemaComparison({
      projectId,
      branchId,
      base_branch_id: branchId,
      db_name: 'neondb',
    });
    expect(same.data.diff).toBe('');

    const finalized = await h.api.finalizeRestoreBranch(projectId, preview.data.branch.id, {
      name: 'main-before-v1',
    });
    expect(finalized.status).toBe(200);
    await waitForOperations(h, projectId, finalized.data.operations);

    expect(await sql(uri, `SELECT to_regclass('public.notes') IS NULL AS gone`)).toEqual([{ gone: true }]);
    const { data: branches } = await h.api.listProjectBranches({
      projectId,
      sort_by: 'name',
      sort_order: 'asc',
    });
    expect(branches.branches.map((b) => [b.name, b.id])).toEqual([
      ['main', preview.data.branch.id],
      ['main-before-v1', branchId],
    ]);
    // One read-write compute per branch: the preview's own endpoint went away.
    const { data: endpoints } = await h.api.listProjectEndpoints(projectId);
    expect(endpoints.endpoints.map((e) => e.id)).toEqual([endpointId]);

    // Finalizing twice is refused.
    const twice = await h.api.finalizeRestoreBranch(projectId, preview.data.branch.id, {});
    expect(twice.status).toBe(400);
  });

  it('discards a preview by deleting its branch', async () => {
    const { projectId, branchId } = await readyProject(h, 'discard');
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 's' });
    await waitForOperations(h, projectId, snap.data.operations);
    const preview = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { target_branch_id: branchId },
    );
    await waitForOperations(h, projectId, preview.data.operations);
    const deleted = await h.api.deleteProjectBranch({ projectId, branchId: preview.data.branch.id });
    expect(deleted.status).toBe(200);
    expect(deleted.data.operations.map((op) => op.action)).toEqual(['suspend_compute', 'delete_timeline']);
    await waitForOperations(h, projectId, deleted.data.operations);
    const { data } = await h.api.listProjectBranches({ projectId });
    expect(data.branches.map((b) => b.id)).toEqual([branchId]);
    expect((await h.api.listProjectEndpoints(projectId)).data.endpoints).toHaveLength(1);
  });

  it('refuses point-in-time restore on a branch made by a snapshot restore', async () => {
    const { projectId, branchId } = await readyProject(h, 'pitr');
    const snap = await h.api.createSnapshot({ projectId, branchId, name: 's' });
    await waitForOperations(h, projectId, snap.data.operations);
    const restored = await h.api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { finalize_restore: true },
    );
    await waitForOperations(h, projectId, restored.data.operations);
    const pitr = await h.api.restoreProjectBranch(projectId, restored.data.branch.id, {
      source_branch_id: branchId,
      source_timestamp: new Date().toISOString(),
    });
    expect(pitr.status).toBe(400);
    expect(pitr.data).toMatchObject({ message: 'restore from snapshot on target branch is still ongoing' });
  });
});
