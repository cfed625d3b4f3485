import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgDump } from '@electric-sql/pglite-tools/pg_dump';
import { type SchemaDiffTable, schemaDiffTable as table } from '@rewind/protocol';
import { describe, expect, it } from 'vitest';
import { compareSchemaDumps, summarizeSchemaDiff } from './schema-diff';

// Real inputs: the schemas are dumped by pg_dump itself (the WASM build for PGlite's server
// version) and diffed by GNU diff with 3 lines of context and Neon's headers, which is the format
// of Neon's compare_schema (neon.com/docs/guides/schema-diff: `--- a/neondb`, `@@ -27,7 +27,8 @@`).
async function dump(sql: string): Promise<string> {
  const db = await PGlite.create();
  try {
    await db.exec(sql);
    return await (await pgDump({ pg: db, args: ['--schema-only'] })).text();
  } finally {
    await db.close();
  }
}

function unifiedDiff(base: string, branch: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-diff-'));
  writeFileSync(join(dir, 'base.sql'), base);
  writeFileSync(join(dir, 'branch.sql'), branch);
  try {
    return execFileSync(
      'diff',
      ['-U3', '--label', 'a/neondb', '--label', 'b/neondb', 'base.sql', 'branch.sql'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
  } catch (error) {
    // diff exits 1 when the files differ; its stdout is the patch.
    return (error as { stdout: string }).stdout;
  }
}

const wide = (extra = '') =>
  `CREATE TABLE contacts (
     id serial PRIMARY KEY, name text NOT NULL, email text, phone text, street text, city text,
     zip text, country text, company text, title text, notes text${extra}
   );`;

const LIVE = `
  ${wide()}
  CREATE TABLE companies (id int PRIMARY KEY, name text);
  CREATE TABLE audit (at timestamptz, contact_id int REFERENCES contacts(id));
  CREATE INDEX contacts_city_idx ON contacts (city);
  CREATE TABLE "Odd Name" ("Mixed Case" int, plain int);
`;

const VERSION = `
  ${wide(', created_at timestamptz DEFAULT now()')}
  ALTER TABLE contacts DROP COLUMN street;
  ALTER TABLE contacts ALTER COLUMN zip TYPE varchar(10);
  ALTER TABLE contacts ADD CONSTRAINT contacts_email_key UNIQUE (email);
  ALTER TABLE contacts ADD CONSTRAINT contacts_name_check CHECK (name <> '');
  CREATE INDEX contacts_company_idx ON contacts (company);
  CREATE INDEX contacts_city_idx ON contacts (city, country);
  CREATE TABLE companies (id int PRIMARY KEY, name text);
  CREATE TABLE notes (id int PRIMARY KEY, body text);
  CREATE TABLE "Odd Name" ("Mixed Case" bigint, plain int);
`;

const expected: SchemaDiffTable[] = [
  { ...table('public.Odd Name', 'changed'), changedColumns: ['Mixed Case'] },
  table('public.audit', 'removed'),
  {
    ...table('public.contacts', 'changed'),
    addedColumns: ['created_at'],
    removedColumns: ['street'],
    changedColumns: ['zip'],
    addedConstraints: ['contacts_email_key', 'contacts_name_check'],
    addedIndexes: ['contacts_company_idx'],
    changedIndexes: ['contacts_city_idx'],
  },
  table('public.notes', 'added'),
];

describe('summarizeSchemaDiff on real pg_dump output', () => {
  it('names every added, dropped and changed column, constraint and index, given the branch schema', async () => {
    const [live, version] = await Promise.all([dump(LIVE), dump(VERSION)]);
    const diff = unifiedDiff(live, version);
    expect(diff.startsWith('--- a/neondb\n+++ b/neondb\n@@ -')).toBe(true);
    // The column added at the end of a 12-column table sits more than 3 lines below its CREATE
    // TABLE: its hunk does not show the table (the case the old per-hunk summary lost).
    const hunkOfCreatedAt = diff.split(/^(?=@@)/m).find((h) => h.includes('+    created_at'));
    expect(hunkOfCreatedAt).toBeDefined();
    expect(hunkOfCreatedAt).not.toContain('CREATE TABLE public.contacts');

    const summary = summarizeSchemaDiff(diff, version);
    expect(summary).toEqual({ text: diff, tables: expected, complete: true });
    // The same as comparing the two dumps directly.
    expect(compareSchemaDumps(live, version).tables).toEqual(expected);
  });

  it('from the diff alone, says it is incomplete and never credits a table it cannot see', async () => {
    const [live, version] = await Promise.all([dump(LIVE), dump(VERSION)]);
    const summary = summarizeSchemaDiff(unifiedDiff(live, version));
    expect(summary.complete).toBe(false);
    // Whatever it does place is right: a subset of the exact summary.
    for (const entry of summary.tables) {
      const exact = expected.find((t) => t.name === entry.name);
      expect(exact, entry.name).toBeDefined();
      expect(exact?.change).toBe(entry.change);
      for (const key of Object.keys(entry) as (keyof SchemaDiffTable)[]) {
        if (Array.isArray(entry[key])) {
          for (const item of entry[key] as string[]) expect(exact?.[key]).toContain(item);
        }
      }
    }
    // Statements that carry their table (ALTER TABLE … ADD CONSTRAINT, CREATE INDEX, a new table)
    // are placed; the CHECK, written inside the long CREATE TABLE, is not.
    const contacts = summary.tables.find((t) => t.name === 'public.contacts');
    expect(contacts?.addedConstraints).toEqual(['contacts_email_key']);
    expect(contacts?.addedIndexes).toEqual(['contacts_company_idx']);
    expect(summary.tables.find((t) => t.name === 'public.notes')?.change).toBe('added');
  });

  it('reads a small diff whose hunks show their tables completely, and an empty diff as none', async () => {
    const [live, version] = await Promise.all([
      dump('CREATE TABLE t (n integer, m text);'),
      dump('CREATE TABLE t (n bigint, m text, k int);'),
    ]);
    const summary = summarizeSchemaDiff(unifiedDiff(live, version));
    expect(summary.complete).toBe(true);
    expect(summary.tables).toEqual([
      { ...table('public.t', 'changed'), addedColumns: ['k'], changedColumns: ['n'] },
    ]);
    expect(summarizeSchemaDiff('')).toEqual({ text: '', tables: [], complete: true });
  });

  it('falls back to the diff alone when the given schema does not match the diff', async () => {
    const [live, version] = await Promise.all([
      dump('CREATE TABLE t (n integer);'),
      dump('CREATE TABLE t (n integer, k int);'),
    ]);
    const summary = summarizeSchemaDiff(unifiedDiff(live, version), 'CREATE TABLE unrelated ();\n');
    expect(summary.tables).toEqual([{ ...table('public.t', 'changed'), addedColumns: ['k'] }]);
  });
});
