import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createGzip } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { BranchData } from './branch-data';
import { dumpSchema } from './pg-dump-schema';
import { emptyClusterTemplate } from './template';

interface OpenBranch {
  db: PGlite;
  server: Promise<PGLiteSocketServer> | undefined;
  lastUsed: number;
  /** Leases: requests and client connections using the database now. */
  connections: number;
}

export interface BranchDatabasesOptions {
  /** Folder holding `branches/<id>/` data directories and `snapshots/<id>.tar.gz`. */
  root: string;
  /** Close a branch database unused for this long (ms). */
  idleMs: number;
  /** At most this many PGlite instances open at once (each costs ~200 MB RSS). */
  maxOpen: number;
}

/**
 * Every branch is a real Postgres cluster (PGlite) in its own data directory, opened lazily
 * and closed when idle; every snapshot is a gzipped dump of one, kept on disk.
 */
export class BranchDatabases implements BranchData {
  readonly #open = new Map<string, Promise<OpenBranch>>();
  /** The settled subset of #open, read synchronously so that no decision spans an await. */
  readonly #ready = new Map<string, OpenBranch>();
  /** Databases being closed: a reopen of the same directory waits for the close to finish. */
  readonly #closing = new Map<string, Promise<void>>();
  /** Snapshots whose file is still being compressed and written: their data, until it is. */
  readonly #unwritten = new Map<string, { tar: Blob; written: Promise<void> }>();
  readonly #options: BranchDatabasesOptions;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: BranchDatabasesOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => void this.closeIdle(), Math.max(250, Math.min(options.idleMs, 5_000)));
    this.#sweeper.unref();
  }

  #branchDir(branchId: string) {
    return join(this.#options.root, 'branches', branchId);
  }

  #snapshotFile(snapshotId: string) {
    return join(this.#options.root, 'snapshots', `${snapshotId}.tar.gz`);
  }

  /** A new empty cluster for a project's first branch. */
  async createEmpty(branchId: string): Promise<void> {
    await this.#materialize(branchId, await emptyClusterTemplate());
  }

  /** A new branch holding a copy of another branch's current data. */
  async createFromBranch(branchId: string, parentId: string): Promise<void> {
    // A copy kept in memory only: no need to compress it.
    await this.#materialize(branchId, await this.#dumpTar(parentId));
  }

  /** A new branch holding a snapshot's data. */
  async createFromSnapshot(branchId: string, snapshotId: string): Promise<void> {
    const data =
      this.#unwritten.get(snapshotId)?.tar ?? new Blob([await readFile(this.#snapshotFile(snapshotId))]);
    await this.#materialize(branchId, data);
  }

  /** Capture the branch's data; its size and the WAL position it was taken at (Postgres's own). */
  async snapshot(branchId: string, snapshotId: string): Promise<{ size: number; lsn: string }> {
    const { rows } = await this.withDatabase(branchId, (db) =>
      db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
    );
    const tar = await this.#dumpTar(branchId);
    // The call answers once the data is captured (the tar, the time Postgres needs to copy its
    // files); compressing it (0.5 s of zlib for an empty cluster) and writing the file come after,
    // and until then the snapshot is read from the tar.
    const written = (async () => {
      await mkdir(join(this.#options.root, 'snapshots'), { recursive: true });
      // Streamed, chunk by chunk: one 40 MB arrayBuffer() of PGlite's many-part Blob takes 0.3 s
      // of this thread. Renamed into place once whole: a file that is there is complete.
      const file = this.#snapshotFile(snapshotId);
      await pipeline(
        Readable.fromWeb(tar.stream() as NodeReadableStream<Uint8Array>),
        createGzip({ level: 1 }),
        createWriteStream(`${file}.partial`),
      );
      await rename(`${file}.partial`, file);
    })();
    const entry = { tar, written };
    this.#unwritten.set(snapshotId, entry);
    // A write that fails keeps the data in memory: the snapshot stays readable while this runs.
    written.then(
      () => this.#unwritten.get(snapshotId) === entry && this.#unwritten.delete(snapshotId),
      () => undefined,
    );
    return { size: tar.size, lsn: rows[0]?.lsn ?? '0/0' };
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    const unwritten = this.#unwritten.get(snapshotId);
    this.#unwritten.delete(snapshotId);
    // Its write finishes first, or the file would appear after the deletion.
    await unwritten?.written.catch(() => undefined);
    await rm(this.#snapshotFile(snapshotId), { force: true });
  }

  async deleteBranch(branchId: string): Promise<void> {
    await this.#close(branchId);
    await rm(this.#branchDir(branchId), { recursive: true, force: true });
  }

  schemaOf(branchId: string, owner: string): Promise<string> {
    return this.withDatabase(branchId, (db) => dumpSchema(db, owner));
  }

  async headLsn(branchId: string): Promise<string> {
    const { rows } = await this.withDatabase(branchId, (db) =>
      db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
    );
    return rows[0]?.lsn ?? '0/0';
  }

  /** Run a function with the branch's database open (opening it if needed). */
  async withDatabase<T>(branchId: string, run: (db: PGlite) => Promise<T>): Promise<T> {
    const branch = await this.#lease(branchId);
    try {
      return await run(branch.db);
    } finally {
      this.#release(branch);
    }
  }

  /**
   * The loopback port of a Postgres wire-protocol server for the branch. Endpoints proxy
   * their stable port to it; `release` must be called when the client connection ends.
   */
  async acquireSocket(branchId: string): Promise<{ port: number; release: () => void }> {
    const branch = await this.#lease(branchId);
    try {
      if (!branch.server) {
        // pglite-socket serves one connection by default; apps use pools.
        branch.server ??= (async () => {
          const server = new PGLiteSocketServer({
            db: branch.db,
            host: '127.0.0.1',
            port: 0,
            maxConnections: 64,
          });
          await server.start();
          return server;
        })();
      }
      const server = await branch.server;
      const port = Number(server.getServerConn().split(':').pop());
      let released = false;
      return {
        port,
        release: () => {
          if (released) return;
          released = true;
          this.#release(branch);
        },
      };
    } catch (error) {
      this.#release(branch);
      throw error;
    }
  }

  /** How many branch databases are open now. */
  get openCount(): number {
    return this.#open.size;
  }

  async closeIdle(now = Date.now()): Promise<void> {
    const idle = [...this.#ready].filter(
      ([, branch]) => branch.connections === 0 && now - branch.lastUsed >= this.#options.idleMs,
    );
    await Promise.all(idle.map(([branchId]) => this.#close(branchId)));
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#unwritten.values()].map((entry) => entry.written.catch(() => undefined)));
    await Promise.all([...this.#open.keys()].map((id) => this.#close(id)));
  }

  async #materialize(branchId: string, data: Blob): Promise<void> {
    const dir = this.#branchDir(branchId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await this.#makeRoom();
    const opened = PGlite.create(dir, { loadDataDir: data }).then((db) => this.#track(branchId, db));
    this.#open.set(branchId, opened);
    await opened.catch((error: unknown) => {
      this.#open.delete(branchId);
      throw error;
    });
  }

  // PGlite's own 'gzip' compresses on the main thread (about 0.9 s for an empty cluster, against
  // 0.2-0.4 s for the tar): the tar is taken under the lease and compressed by Node's zlib on its
  // thread pool, after the snapshot call has answered (see snapshot).
  #dumpTar(branchId: string): Promise<Blob> {
    return this.withDatabase(branchId, (db) => db.dumpDataDir('none'));
  }

  #track(branchId: string, db: PGlite): OpenBranch {
    const branch: OpenBranch = { db, server: undefined, lastUsed: Date.now(), connections: 0 };
    this.#ready.set(branchId, branch);
    return branch;
  }

  // The lease is taken in the same callback that hands out the branch, so the idle sweeper can
  // never close a database between "opened" and "in use".
  #lease(branchId: string): Promise<OpenBranch> {
    let pending = this.#open.get(branchId);
    if (!pending) {
      pending = (this.#closing.get(branchId) ?? Promise.resolve())
        .then(() => this.#makeRoom())
        .then(() => PGlite.create(this.#branchDir(branchId)))
        .then((db) => this.#track(branchId, db));
      this.#open.set(branchId, pending);
      pending.catch(() => this.#open.delete(branchId));
    }
    return pending.then((branch) => {
      if (this.#open.get(branchId) !== pending) return this.#lease(branchId);
      branch.connections++;
      branch.lastUsed = Date.now();
      return branch;
    });
  }

  #release(branch: OpenBranch): void {
    branch.connections--;
    branch.lastUsed = Date.now();
  }

  // Keep memory bounded: close the least recently used idle databases beyond the cap. Only
  // settled databases are candidates (awaiting one still opening could wait on this very call).
  async #makeRoom(): Promise<void> {
    const excess = this.#open.size - this.#options.maxOpen + 1;
    if (excess <= 0) return;
    const idle = [...this.#ready].filter(([, branch]) => branch.connections === 0);
    idle.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    await Promise.all(idle.slice(0, excess).map(([id]) => this.#close(id)));
  }

  async #close(branchId: string): Promise<void> {
    const pending = this.#open.get(branchId);
    if (!pending) return this.#closing.get(branchId);
    this.#open.delete(branchId);
    this.#ready.delete(branchId);
    const closing = (async () => {
      const branch = await pending.catch(() => undefined);
      if (!branch) return;
      await (await branch.server?.catch(() => undefined))?.stop();
      await branch.db.close();
    })();
    this.#closing.set(branchId, closing);
    try {
      await closing;
    } finally {
      if (this.#closing.get(branchId) === closing) this.#closing.delete(branchId);
    }
  }
}
