import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

// initdb in PGlite takes 2-4 s; loading a dump of an empty cluster takes ~0.7 s. The dump is
// cached on disk so that every process after the first starts fast. Bump the key with PGlite
// (it is pinned exactly, because pglite-socket pins it): data directories are version-bound.
const CACHE_FILE = join(tmpdir(), 'rewind-neon-emulator-template-pglite-0.5.14-v1.tar.gz');

let pending: Promise<Blob> | undefined;

/** A gzipped data directory of an empty cluster with Neon's default role. */
export function emptyClusterTemplate(): Promise<Blob> {
  pending ??= load().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function load(): Promise<Blob> {
  if (existsSync(CACHE_FILE)) {
    return new Blob([await readFile(CACHE_FILE)]);
  }
  const db = await PGlite.create();
  try {
    // Neon's default role; PGlite itself authenticates every connection as `postgres`.
    await db.exec(`CREATE ROLE neondb_owner WITH LOGIN CREATEDB CREATEROLE;`);
    const blob = await db.dumpDataDir('gzip');
    const temporary = `${CACHE_FILE}.${process.pid}.tmp`;
    await writeFile(temporary, new Uint8Array(await blob.arrayBuffer()));
    await rename(temporary, CACHE_FILE);
    return blob;
  } finally {
    await db.close();
  }
}
