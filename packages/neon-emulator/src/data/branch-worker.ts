/**
 * The worker thread behind `BranchThread`: it owns one branch database at a time (a
 * `LocalBranch`: PGlite and its wire-protocol server). PGlite runs Postgres as WASM on the
 * thread that calls it: loading a data directory, dumping one and running pg_dump take 0.2-2 s of
 * uninterrupted CPU, which on the emulator's main thread stalled every HTTP answer, SSE stream
 * and lease renewal for that long. Here they stall only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BranchAnswer, BranchRequest } from './branch-thread';
import { postgresError } from './http-query';
import { LocalBranch, type PgliteArtifacts } from './local-branch';

const port = parentPort;
if (!port) throw new Error('branch-worker runs as a worker thread');
const artifacts = workerData as PgliteArtifacts;

// One database at a time: a thread outlives the database it was started for, and opens the next
// one (see BranchThread's pool).
let current: LocalBranch | undefined;

port.on('message', (request: BranchRequest) => {
  answer(request).then(
    ({ value, transfer }) =>
      port.postMessage({ id: request.id, ok: true, value } satisfies BranchAnswer, transfer ?? []),
    (error: unknown) =>
      port.postMessage({ id: request.id, ok: false, error: postgresError(error) } satisfies BranchAnswer),
  );
});
port.postMessage({ id: 0, ok: true, value: undefined } satisfies BranchAnswer);

async function answer(request: BranchRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  if (request.op === 'open') {
    if (current) throw new Error('this thread has a database open already');
    current = await LocalBranch.open(request.init, artifacts);
    return { value: undefined };
  }
  const db = current;
  if (!db) throw new Error('this thread has no database open');
  switch (request.op) {
    case 'query':
      return { value: await db.query(request.sql, request.params) };
    case 'exec':
      return { value: await db.exec(request.sql) };
    case 'dump': {
      // The bytes move, not copy, to the main thread.
      const bytes = (await db.dump(request.compression)).buffer;
      return { value: bytes, transfer: [bytes] };
    }
    case 'schema':
      return { value: await db.schema(request.owner) };
    case 'http':
      return { value: await db.sqlOverHttp(request.body) };
    case 'listen':
      return { value: await db.listen() };
    case 'close':
      current = undefined;
      return { value: await db.close() };
  }
}
