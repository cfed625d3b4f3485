import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BranchThread } from './branch-thread';

// initdb in PGlite takes 2-4 s; loading a dump of an empty cluster takes ~0.7 s. The dump is
// cached on disk so that every process after the first starts fast. Bump the key with PGlite
// (it is pinned exactly, because pglite-socket pins it): data directories are version-bound.
const CACHE_FILE = join(tmpdir(), 'rewind-neon-emulator-template-pglite-0.5.14-v1.tar.gz');

let pending: Promise<Uint8Array<ArrayBuffer>> | undefined;

/** A gzipped data directory of an empty cluster with Neon's default role. */
export function emptyClusterTemplate(): Promise<Uint8Array<ArrayBuffer>> {
  pending ??= load().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function load(): Promise<Uint8Array<ArrayBuffer>> {
  if (existsSync(CACHE_FILE)) {
    return new Uint8Array(await readFile(CACHE_FILE));
  }
  // initdb runs in a thread of its own, as every branch database does.
  const db = await BranchThread.open({});
  try {
    // Neon's default role; PGlite itself authenticates every connection as `postgres`.
    await db.exec(`CREATE ROLE neondb_owner WITH LOGIN CREATEDB CREATEROLE;`);
    const bytes = await db.dump('gzip');
    const temporary = `${CACHE_FILE}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, CACHE_FILE);
    return bytes;
  } finally {
    await db.close();
  }
}
