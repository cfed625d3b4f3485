import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HttpQueryBody } from './http-query';
import type { BranchOpenInit, OpenDatabase, PgliteArtifacts } from './local-branch';

type Request =
  | { op: 'open'; init: BranchOpenInit }
  | { op: 'query'; sql: string; params?: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'dump'; compression: 'none' | 'gzip' }
  | { op: 'schema'; owner: string }
  | { op: 'http'; body: HttpQueryBody }
  | { op: 'listen' }
  | { op: 'close' };

/** @internal A message to the branch's worker. */
export type BranchRequest = Request & { id: number };
/** @internal The worker's answer; id 0 says the thread is up. */
export type BranchAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

/** One worker thread and its calls in flight. */
class Channel {
  readonly worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  #nextId = 1;
  exited: Error | undefined;

  constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (answer: BranchAnswer) => {
      const pending = this.#pending.get(answer.id);
      if (!pending) return;
      this.#pending.delete(answer.id);
      if (answer.ok) pending.resolve(answer.value);
      else pending.reject(toError(answer.error));
    });
    const fail = (error: Error) => {
      this.exited ??= error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the branch database's thread exited (code ${code})`)));
  }

  static async start(): Promise<Channel> {
    const channel = new Channel(spawn(await pgliteArtifacts()));
    await new Promise((resolve, reject) => channel.#pending.set(0, { resolve, reject }));
    return channel;
  }

  call(request: Request): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } satisfies BranchRequest);
    });
  }
}

// A thread costs 0.5-1 s of CPU to start (an isolate, PGlite's JavaScript, tsx from source) and
// little to keep: a closed branch's thread waits here for the next one, and one is started ahead
// so that the first open after a take does not wait for it.
const POOL_SIZE = 2;
const idle: Channel[] = [];
let warming: Promise<Channel> | undefined;

function park(channel: Channel): void {
  if (channel.exited || idle.length >= POOL_SIZE) {
    void channel.worker.terminate();
    return;
  }
  channel.worker.unref(); // a parked thread never keeps the process alive
  idle.push(channel);
}

function warm(): void {
  if (warming || idle.length > 0) return;
  warming = Channel.start().finally(() => (warming = undefined));
  warming.then(park, () => undefined);
}

async function take(): Promise<Channel> {
  // A thread warming up is parked (its `then` runs first) before this wait ends.
  if (idle.length === 0 && warming) await warming.catch(() => undefined);
  // A parked thread may have died since (its exit handler marked it): never hand one out.
  let channel = idle.pop();
  while (channel?.exited) channel = idle.pop();
  channel ??= await Channel.start();
  channel.worker.ref();
  warm();
  return channel;
}

/**
 * One branch's Postgres, running in a worker thread (`branch-worker.ts`), so that PGlite's
 * CPU-bound work never blocks the emulator's event loop. Every call is a message; errors come
 * back as `Error`s carrying the Postgres fields (`code`, `detail`, …) that callers read.
 */
export class BranchThread implements OpenDatabase {
  readonly #channel: Channel;
  #closed = false;

  private constructor(channel: Channel) {
    this.#channel = channel;
  }

  /** Open the database in a thread; resolves once it is open. */
  static async open(init: BranchOpenInit): Promise<BranchThread> {
    const channel = await take();
    try {
      await channel.call({ op: 'open', init });
    } catch (error) {
      await channel.worker.terminate();
      throw error;
    }
    return new BranchThread(channel);
  }

  query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.#call({ op: 'query', sql, params }) as Promise<T[]>;
  }

  async exec(sql: string): Promise<void> {
    await this.#call({ op: 'exec', sql });
  }

  /** The data directory as `dumpDataDir` writes it (a tar, gzipped if asked). */
  async dump(compression: 'none' | 'gzip'): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array((await this.#call({ op: 'dump', compression })) as ArrayBuffer);
  }

  /** The schema as `pg_dump --schema-only` writes it, owned by `owner`. */
  schema(owner: string): Promise<string> {
    return this.#call({ op: 'schema', owner }) as Promise<string>;
  }

  /** Run a SQL-over-HTTP body (see `runHttpQuery`). */
  sqlOverHttp(body: HttpQueryBody): Promise<unknown> {
    return this.#call({ op: 'http', body });
  }

  /** The loopback port of the database's wire-protocol server, started on first call. */
  listen(): Promise<number> {
    return this.#call({ op: 'listen' }) as Promise<number>;
  }

  /** Close the database; its thread goes back to the pool. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#channel.call({ op: 'close' });
      park(this.#channel);
    } catch (error) {
      await this.#channel.worker.terminate();
      if (!this.#channel.exited) throw error;
    }
  }

  #call(request: Request): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('the branch database is closed'));
    return this.#channel.call(request);
  }
}

function toError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), fields);
}

// Built, the worker is `dist/branch-worker.js` beside the chunk holding this code. From source
// (tests, `tsx src/cli.ts`), it is the `.ts` beside this file, and the thread registers tsx (a
// dev dependency) before importing it: Node 20 runs no TypeScript by itself.
function spawn(artifacts: PgliteArtifacts): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./branch-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: artifacts });
  // tsx's ESM build of its API: its CJS build resolves its own loader wrongly inside a worker.
  const tsx = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)})
    .then((api) => api.register())
    .then(() => import(${JSON.stringify(entry.href)}));`;
  return new Worker(boot, { eval: true, workerData: artifacts });
}

// Each thread is its own isolate: left to itself, every one would read and compile PGlite's 9 MB
// of WebAssembly again (about a second of CPU). Compiled once here, the module is shared with
// every thread (a WebAssembly.Module crosses to workers without a copy), as is the file bundle.
let artifacts: Promise<PgliteArtifacts> | undefined;

function pgliteArtifacts(): Promise<PgliteArtifacts> {
  artifacts ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const [pglite, initdb, bundle] = await Promise.all(
      ['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((file) => readFile(join(dist, file))),
    );
    return {
      pgliteWasmModule: await WebAssembly.compile(pglite as Uint8Array<ArrayBuffer>),
      initdbWasmModule: await WebAssembly.compile(initdb as Uint8Array<ArrayBuffer>),
      fsBundle: new Blob([bundle as Uint8Array<ArrayBuffer>]),
    };
  })();
  artifacts.catch(() => (artifacts = undefined));
  return artifacts;
}
