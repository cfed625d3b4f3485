import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { type HttpQueryBody, runHttpQuery } from './http-query';
import { dumpSchema } from './pg-dump-schema';

/** What a branch's database opens: a data directory, loaded from a dump if one is given. */
export interface BranchOpenInit {
  /** The data directory (absent: in memory). */
  dataDir?: string;
  /** A dump to load into it (`dumpDataDir`'s bytes, gzipped or not). */
  data?: Uint8Array<ArrayBuffer>;
  /** Or a file holding that dump, read by whoever opens the database. */
  dataFile?: string;
}

/** @internal PGlite's compiled WebAssembly and file bundle, shared by every thread. */
export interface PgliteArtifacts {
  pgliteWasmModule: WebAssembly.Module;
  initdbWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

/** One open branch database: what `BranchDatabases` asks of it, in this thread or another. */
export interface OpenDatabase {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  /** The data directory as `dumpDataDir` writes it (a tar, gzipped if asked). */
  dump(compression: 'none' | 'gzip'): Promise<Uint8Array<ArrayBuffer>>;
  /** The schema as `pg_dump --schema-only` writes it, owned by `owner`. */
  schema(owner: string): Promise<string>;
  /** Run a SQL-over-HTTP body (see `runHttpQuery`). */
  sqlOverHttp(body: HttpQueryBody): Promise<unknown>;
  /** The loopback port of the database's wire-protocol server, started on first call. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** A branch database (PGlite and its wire-protocol server) on the thread that opened it. */
export class LocalBranch implements OpenDatabase {
  readonly #db: PGlite;
  #server: Promise<PGLiteSocketServer> | undefined;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  static async open(init: BranchOpenInit, artifacts?: PgliteArtifacts): Promise<LocalBranch> {
    const data = init.dataFile ? await readFile(init.dataFile) : init.data;
    const db = await PGlite.create(init.dataDir, {
      ...artifacts,
      ...(data ? { loadDataDir: new Blob([data as Uint8Array<ArrayBuffer>]) } : {}),
    });
    return new LocalBranch(db);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#db.query<T>(sql, params)).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
  }

  async dump(compression: 'none' | 'gzip'): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await (await this.#db.dumpDataDir(compression)).arrayBuffer());
  }

  schema(owner: string): Promise<string> {
    return dumpSchema(this.#db, owner);
  }

  sqlOverHttp(body: HttpQueryBody): Promise<unknown> {
    return runHttpQuery(this.#db, body);
  }

  async listen(): Promise<number> {
    // pglite-socket serves one connection by default; apps use pools.
    this.#server ??= (async () => {
      const server = new PGLiteSocketServer({ db: this.#db, host: '127.0.0.1', port: 0, maxConnections: 64 });
      await server.start();
      return server;
    })();
    return Number((await this.#server).getServerConn().split(':').pop());
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await (await server?.catch(() => undefined))?.stop();
    await this.#db.close();
  }
}
