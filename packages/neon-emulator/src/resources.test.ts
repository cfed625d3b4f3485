import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, readyProject, startHarness, waitForOperations } from './test/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ idleMs: 300, maxOpenDatabases: 2 });
});
afterAll(() => h.close());

async function until(check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('branch databases are opened lazily and closed when idle', () => {
  it('closes idle databases, caps open ones, and reopens on the next connection', async () => {
    const a = await readyProject(h, 'lazy-a');
    const b = await readyProject(h, 'lazy-b');
    const c = await readyProject(h, 'lazy-c');
    // Three projects were created, but at most two databases are ever open.
    expect(h.emulator.openDatabases).toBeLessThanOrEqual(2);
    await until(() => h.emulator.openDatabases === 0);

    for (const project of [a, b, c]) {
      const client = new pg.Client(project.uri);
      await client.connect();
      await client.query(`CREATE TABLE t (name text); INSERT INTO t VALUES ('${project.projectId}')`);
      expect(h.emulator.openDatabases).toBeLessThanOrEqual(2);
      await client.end();
    }
    await until(() => h.emulator.openDatabases === 0);

    // A closed branch reopens with its data when a client connects again.
    const client = new pg.Client(a.uri);
    await client.connect();
    expect((await client.query('SELECT name FROM t')).rows).toEqual([{ name: a.projectId }]);
    expect(h.emulator.openDatabases).toBe(1);
    // An open connection keeps its database open past the idle time.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(h.emulator.openDatabases).toBe(1);
    await client.end();

    // A snapshot of a closed branch still captures its data.
    await until(() => h.emulator.openDatabases === 0);
    const snap = await h.api.createSnapshot({ projectId: b.projectId, branchId: b.branchId, name: 'cold' });
    expect(snap.status).toBe(200);
    await waitForOperations(h, b.projectId, snap.data.operations);
    const listed = (await h.api.listSnapshots(b.projectId)).data.snapshots.find(
      (s) => s.id === snap.data.snapshot.id,
    );
    expect(listed?.full_size).toBeGreaterThan(0);
  });
});
