import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { BranchData } from './branch-data';
import { BranchThread } from './branch-thread';
import type { HttpQueryBody } from './http-query';
import { type BranchOpenInit, LocalBranch, type OpenDatabase } from './local-branch';
import { emptyClusterTemplate } from './template';

interface OpenBranch {
  db: OpenDatabase;
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
  /** Each database in a worker thread (`BranchThread`) rather than on this one (`LocalBranch`). */
  threads?: boolean;
}

/**
 * Every branch is a real Postgres cluster (PGlite) in its own data directory, opened lazily and
 * closed when idle, in a worker thread of its own (`threads`) or on this one; every snapshot is
 * a gzipped dump of one, kept on disk. With threads, this thread only moves bytes and messages.
 */
export class BranchDatabases implements BranchData {
  readonly #open = new Map<string, Promise<OpenBranch>>();
  /** The settled subset of #open, read synchronously so that no decision spans an await. */
  readonly #ready = new Map<string, OpenBranch>();
  /** Databases being closed: a reopen of the same directory waits for the close to finish. */
  readonly #closing = new Map<string, Promise<void>>();
  /** Snapshots whose file is still being compressed and written: their data, until it is. */
  readonly #unwritten = new Map<string, { tar: Uint8Array<ArrayBuffer>; written: Promise<void> }>();
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
    await this.#materialize(branchId, { data: await emptyClusterTemplate() });
  }

  /** A new branch holding a copy of another branch's current data. */
  async createFromBranch(branchId: string, parentId: string): Promise<void> {
    // A copy kept in memory only: no need to compress it.
    await this.#materialize(branchId, { data: await this.#dumpTar(parentId) });
  }

  /** A new branch holding a snapshot's data. */
  async createFromSnapshot(branchId: string, snapshotId: string): Promise<void> {
    const tar = this.#unwritten.get(snapshotId)?.tar;
    // A written snapshot is read by the branch's thread itself: its bytes never pass through here.
    await this.#materialize(branchId, tar ? { data: tar } : { dataFile: this.#snapshotFile(snapshotId) });
  }

  /** Capture the branch's data; its size and the WAL position it was taken at (Postgres's own). */
  async snapshot(branchId: string, snapshotId: string): Promise<{ size: number; lsn: string }> {
    const lsn = await this.headLsn(branchId);
    const tar = await this.#dumpTar(branchId);
    // The call answers once the data is captured (the tar, the time Postgres needs to copy its
    // files); compressing it (0.5 s of zlib for an empty cluster) and writing the file come after,
    // and until then the snapshot is read from the tar.
    const written = (async () => {
      await mkdir(join(this.#options.root, 'snapshots'), { recursive: true });
      // zlib compresses on Node's thread pool. Renamed into place once whole: a file that is
      // there is complete.
      const file = this.#snapshotFile(snapshotId);
      await pipeline(Readable.from([tar]), createGzip({ level: 1 }), createWriteStream(`${file}.partial`));
      await rename(`${file}.partial`, file);
    })();
    const entry = { tar, written };
    this.#unwritten.set(snapshotId, entry);
    // A write that fails keeps the data in memory: the snapshot stays readable while this runs.
    written.then(
      () => this.#unwritten.get(snapshotId) === entry && this.#unwritten.delete(snapshotId),
      () => undefined,
    );
    return { size: tar.byteLength, lsn };
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
    return this.#withDatabase(branchId, (db) => db.schema(owner));
  }

  async headLsn(branchId: string): Promise<string> {
    const rows = await this.#withDatabase(branchId, (db) =>
      db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
    );
    return rows[0]?.lsn ?? '0/0';
  }

  sqlOverHttp(branchId: string, body: HttpQueryBody): Promise<unknown> {
    return this.#withDatabase(branchId, (db) => db.sqlOverHttp(body));
  }

  /** Run a function with the branch's database open (opening it if needed). */
  async #withDatabase<T>(branchId: string, run: (db: OpenDatabase) => Promise<T>): Promise<T> {
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
      const port = await branch.db.listen();
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

  async #materialize(branchId: string, source: Omit<BranchOpenInit, 'dataDir'>): Promise<void> {
    const dir = this.#branchDir(branchId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await this.#makeRoom();
    const opened = this.#openDatabase({ dataDir: dir, ...source }).then((db) => this.#track(branchId, db));
    this.#open.set(branchId, opened);
    await opened.catch((error: unknown) => {
      this.#open.delete(branchId);
      throw error;
    });
  }

  // PGlite's own 'gzip' is slower than the tar (about 0.9 s for an empty cluster, against
  // 0.2-0.4 s): the tar is taken under the lease and compressed by Node's zlib, after the snapshot
  // call has answered (see snapshot).
  #dumpTar(branchId: string): Promise<Uint8Array<ArrayBuffer>> {
    return this.#withDatabase(branchId, (db) => db.dump('none'));
  }

  #openDatabase(init: BranchOpenInit): Promise<OpenDatabase> {
    return this.#options.threads ? BranchThread.open(init) : LocalBranch.open(init);
  }

  #track(branchId: string, db: OpenDatabase): OpenBranch {
    const branch: OpenBranch = { db, lastUsed: Date.now(), connections: 0 };
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
        .then(() => this.#openDatabase({ dataDir: this.#branchDir(branchId) }))
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
