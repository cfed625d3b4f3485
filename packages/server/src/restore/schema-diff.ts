import { type SchemaDiff, type SchemaDiffTable, schemaDiffTable } from '@rewind/protocol';
import { applyPatch, parsePatch, reversePatch } from 'diff';
import { parseSchemaDump, type SchemaModel, type TableModel } from './schema-dump';

/**
 * Summarize Neon's compare_schema diff ("what to apply to the base to match the branch": a unified
 * diff of `pg_dump --schema-only` texts with 3 lines of context) per table: tables, columns,
 * constraints and indexes added, removed or changed.
 *
 * With 3 lines of context a hunk often does not show the statement a changed line belongs to (a
 * column far below its `CREATE TABLE`). Given the branch's own schema (`GET …/schema`, or a stored
 * one) the base is rebuilt by reversing the patch and the two dumps are compared whole: exact.
 * Without it, each hunk is read on its own and `complete` is false when a changed line could not be
 * placed; the summary never guesses a table.
 */
export function summarizeSchemaDiff(text: string, branchSchema?: string): SchemaDiff {
  if (text.trim() === '') return { text, tables: [], complete: true };
  if (branchSchema !== undefined) {
    const [patch] = parsePatch(text);
    const base = patch ? applyPatch(branchSchema, reversePatch(patch)) : false;
    if (base !== false) return { ...compareSchemaDumps(base, branchSchema), text };
  }
  const merged = new Map<string, SchemaDiffTable>();
  let unplaced = 0;
  for (const hunk of hunks(text)) {
    const before = parseSchemaDump(hunk.before.join('\n'), {
      fragment: true,
      isChanged: (i) => hunk.beforeChanged.has(i),
    });
    const after = parseSchemaDump(hunk.after.join('\n'), {
      fragment: true,
      isChanged: (i) => hunk.afterChanged.has(i),
    });
    unplaced += before.unplaced + after.unplaced;
    for (const table of compareModels(before.model, after.model, true)) merge(merged, table);
  }
  return { text, tables: sorted(merged), complete: unplaced === 0 };
}

/** The summary of two whole pg_dump texts: the base (live) and the branch (the version). */
export function compareSchemaDumps(base: string, branch: string): SchemaDiff {
  const tables = compareModels(parseSchemaDump(base).model, parseSchemaDump(branch).model, false);
  return { text: '', tables: sorted(new Map(tables.map((t) => [t.name, t]))), complete: true };
}

function compareModels(before: SchemaModel, after: SchemaModel, fragment: boolean): SchemaDiffTable[] {
  const out: SchemaDiffTable[] = [];
  for (const name of new Set([...before.tables.keys(), ...after.tables.keys()])) {
    const a = before.tables.get(name);
    const b = after.tables.get(name);
    const entry = schemaDiffTable(name, 'changed');
    // In a fragment a table is added or removed only if its CREATE TABLE line itself changed;
    // a table seen on one side only because the other side's hunk lines end earlier is changed.
    if (!a && b) entry.change = fragment && !createdIn(b) ? 'changed' : 'added';
    if (a && !b) entry.change = fragment && !createdIn(a) ? 'changed' : 'removed';
    if (entry.change === 'changed') {
      const empty: TableModel = { columns: new Map(), constraints: new Map(), indexes: new Map() };
      compareMaps(a?.columns ?? empty.columns, b?.columns ?? empty.columns, entry, 'Columns');
      compareMaps(
        a?.constraints ?? empty.constraints,
        b?.constraints ?? empty.constraints,
        entry,
        'Constraints',
      );
      compareMaps(a?.indexes ?? empty.indexes, b?.indexes ?? empty.indexes, entry, 'Indexes');
      if (!hasChanges(entry)) continue;
    }
    out.push(entry);
  }
  return out;
}

function createdIn(table: TableModel): boolean {
  return table.declared === true;
}

type Kind = 'Columns' | 'Constraints' | 'Indexes';

function compareMaps(a: Map<string, string>, b: Map<string, string>, entry: SchemaDiffTable, kind: Kind) {
  for (const [name, definition] of b) {
    if (!a.has(name)) entry[`added${kind}`].push(name);
    else if (a.get(name) !== definition) entry[`changed${kind}`].push(name);
  }
  for (const name of a.keys()) if (!b.has(name)) entry[`removed${kind}`].push(name);
}

function hasChanges(entry: SchemaDiffTable): boolean {
  return (['Columns', 'Constraints', 'Indexes'] as const).some(
    (kind) =>
      entry[`added${kind}`].length + entry[`removed${kind}`].length + entry[`changed${kind}`].length > 0,
  );
}

function merge(into: Map<string, SchemaDiffTable>, table: SchemaDiffTable) {
  const existing = into.get(table.name);
  if (!existing) {
    into.set(table.name, table);
    return;
  }
  if (table.change !== 'changed') existing.change = table.change;
  for (const kind of ['Columns', 'Constraints', 'Indexes'] as const) {
    for (const verb of ['added', 'removed', 'changed'] as const) {
      for (const name of table[`${verb}${kind}`]) {
        if (!existing[`${verb}${kind}`].includes(name)) existing[`${verb}${kind}`].push(name);
      }
    }
  }
  // The same column removed in one hunk and added in another moved or changed: a change.
  for (const kind of ['Columns', 'Constraints', 'Indexes'] as const) {
    const both = existing[`added${kind}`].filter((n) => existing[`removed${kind}`].includes(n));
    existing[`added${kind}`] = existing[`added${kind}`].filter((n) => !both.includes(n));
    existing[`removed${kind}`] = existing[`removed${kind}`].filter((n) => !both.includes(n));
    for (const n of both) if (!existing[`changed${kind}`].includes(n)) existing[`changed${kind}`].push(n);
  }
}

// Code-point order, not the locale's: the same summary on every machine.
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sorted(tables: Map<string, SchemaDiffTable>): SchemaDiffTable[] {
  const out = [...tables.values()];
  for (const t of out) {
    if (t.change !== 'changed') clearLists(t);
    for (const kind of ['Columns', 'Constraints', 'Indexes'] as const) {
      for (const verb of ['added', 'removed', 'changed'] as const) t[`${verb}${kind}`].sort(byCodePoint);
    }
  }
  return out.sort((a, b) => byCodePoint(a.name, b.name));
}

// An added or removed table is named, not itemized.
function clearLists(t: SchemaDiffTable) {
  for (const kind of ['Columns', 'Constraints', 'Indexes'] as const) {
    t[`added${kind}`] = [];
    t[`removed${kind}`] = [];
    t[`changed${kind}`] = [];
  }
}

interface Hunk {
  before: string[];
  after: string[];
  beforeChanged: Set<number>;
  afterChanged: Set<number>;
}

function hunks(text: string): Hunk[] {
  const out: Hunk[] = [];
  let hunk: Hunk | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@@')) {
      hunk = { before: [], after: [], beforeChanged: new Set(), afterChanged: new Set() };
      out.push(hunk);
      continue;
    }
    if (!hunk || line.startsWith('\\')) continue;
    const sign = line[0];
    const body = line.slice(1);
    if (sign === ' ' || line === '') {
      hunk.before.push(body);
      hunk.after.push(body);
    } else if (sign === '-') {
      hunk.beforeChanged.add(hunk.before.length);
      hunk.before.push(body);
    } else if (sign === '+') {
      hunk.afterChanged.add(hunk.after.length);
      hunk.after.push(body);
    }
  }
  return out;
}
