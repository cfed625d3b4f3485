import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { BranchDatabases } from './branch-databases';

// The same contract on both homes of a branch database: this thread, and a worker thread each.
describe.each([
  { threads: false, name: 'on the event loop' },
  { threads: true, name: 'in worker threads' },
])('branch databases $name', ({ threads }) => {
  let root: string;
  let data: BranchDatabases | undefined;
  afterEach(async () => {
    await data?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps data through snapshot and restore, serves the wire protocol, SQL over HTTP and pg_dump', async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-branch-databases-'));
    data = new BranchDatabases({ root, idleMs: 60_000, maxOpen: 4, threads });
    await data.createEmpty('br-a');

    const socket = await data.acquireSocket('br-a');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: socket.port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    await client.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await client.query("INSERT INTO notes VALUES (1, 'kept')");
    await client.end();
    socket.release();

    const { size, lsn } = await data.snapshot('br-a', 'snap-1');
    expect(size).toBeGreaterThan(1_000_000);
    expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    await data.sqlOverHttp('br-a', { query: "INSERT INTO notes VALUES (2, 'after')" });
    expect(await data.headLsn('br-a')).not.toBe(lsn);

    await data.createFromSnapshot('br-b', 'snap-1');
    expect(await data.sqlOverHttp('br-b', { query: 'SELECT id, body FROM notes ORDER BY id' })).toMatchObject(
      {
        command: 'SELECT',
        rows: [['1', 'kept']],
      },
    );
    await data.createFromBranch('br-c', 'br-a');
    expect(await data.sqlOverHttp('br-c', { query: 'SELECT count(*) FROM notes' })).toMatchObject({
      rows: [['2']],
    });

    // Postgres's error fields survive the crossing from the worker.
    await expect(
      data.sqlOverHttp('br-b', { query: "INSERT INTO notes VALUES (1, 'dup')" }),
    ).rejects.toMatchObject({ code: '23505', constraint: 'notes_pkey' });

    expect(await data.schemaOf('br-b', 'neondb_owner')).toContain('CREATE TABLE public.notes');
    await data.deleteBranch('br-c');
    await data.deleteSnapshot('snap-1');
    await expect(data.createFromSnapshot('br-d', 'snap-1')).rejects.toThrow();
  });
});
