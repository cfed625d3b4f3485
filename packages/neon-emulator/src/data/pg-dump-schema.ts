import type { PGlite } from '@electric-sql/pglite';
import { pgDump } from '@electric-sql/pglite-tools/pg_dump';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * The database's schema as `pg_dump --schema-only` writes it: Neon's `GET …/schema` returns this
 * text and `compare_schema` diffs it (neondatabase/website content/docs/guides/schema-diff.md and
 * the blog post "An API to Track Database Schema Changes": constraints and indexes appear as the
 * separate `ALTER TABLE ONLY … ADD CONSTRAINT` / `CREATE INDEX` statements pg_dump writes, owner
 * comments name the project's role, e.g. `Owner: neondb_owner`).
 *
 * This is the real pg_dump (WASM, built for PGlite's server version by @electric-sql/pglite-tools),
 * not a look-alike. Everything in the emulator runs as PGlite's superuser `postgres`; the owner is
 * rewritten to the project's role so the text reads as Neon's does.
 */
export function dumpSchema(db: PGlite, owner: string): Promise<string> {
  // pg_dump drives the database's one session (it sets search_path and restores it after): two
  // dumps of one database at once interleave and hang, so they take turns.
  const previous = dumping.get(db) ?? Promise.resolve('');
  const next = previous.catch(() => '').then(() => dumpOnce(db, owner));
  dumping.set(db, next);
  return next;
}

const dumping = new WeakMap<PGlite, Promise<string>>();

async function dumpOnce(db: PGlite, owner: string): Promise<string> {
  const { rows } = await db.query<{ search_path: string }>('SHOW search_path');
  const file = await pgDump({ pg: db, args: ['--schema-only'] });
  // pg_dump ends its session without COMMIT; on PGlite's one shared session its snapshot
  // transaction stays open, and pglite-socket then holds every other client's query back for
  // "the transaction's owner" forever. End it and put the session back as it was.
  if (db.isInTransaction()) {
    await db.exec('ROLLBACK');
    await db.exec('DEALLOCATE ALL');
    await db.query('SELECT pg_catalog.set_config($1, $2, false)', [
      'search_path',
      rows[0]?.search_path ?? '"$user", public',
    ]);
  }
  const sql = await file.text();
  return sql
    .replaceAll('; Owner: postgres\n', `; Owner: ${owner}\n`)
    .replaceAll(' OWNER TO postgres;\n', ` OWNER TO ${owner};\n`);
}

/**
 * `compare_schema`'s `diff`: a unified diff with 3 lines of context and Neon's headers
 * (`--- a/<db>` / `+++ b/<db>`, no `Index:` or `===` lines), "what to apply to the base to match
 * the branch"; empty when the schemas are equal.
 */
export function diffSchemas(dbName: string, base: string, branch: string): string {
  if (base === branch) return '';
  return createTwoFilesPatch(`a/${dbName}`, `b/${dbName}`, base, branch, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
