import type { SchemaDiff, SchemaDiffTable } from '@rewind/protocol';

const CREATE_TABLE = /^CREATE TABLE (?:IF NOT EXISTS )?("?[\w.]+"?(?:\."?\w+"?)?) \($/;
const COLUMN = /^\s+("?[\w]+"?) \S/;

/**
 * Summarize Neon's compare_schema diff (a unified diff of schema dumps: "what to apply to the
 * base to match the branch") per table: added/removed tables and columns. Lines the parser does
 * not understand are kept in `text` only; the summary never guesses.
 */
export function summarizeSchemaDiff(text: string): SchemaDiff {
  const tables = new Map<string, SchemaDiffTable>();
  const table = (name: string) => {
    let entry = tables.get(name);
    if (!entry) {
      entry = { name, change: 'changed', addedColumns: [], removedColumns: [] };
      tables.set(name, entry);
    }
    return entry;
  };
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    if (
      raw.startsWith('+++') ||
      raw.startsWith('---') ||
      raw.startsWith('@@') ||
      raw.startsWith('Index:') ||
      raw.startsWith('===')
    ) {
      if (raw.startsWith('@@')) current = undefined;
      continue;
    }
    const sign = raw[0];
    const line = raw.slice(1);
    const create = line.match(CREATE_TABLE);
    if (create) {
      current = (create[1] as string).replaceAll('"', '');
      if (sign === '+') table(current).change = 'added';
      if (sign === '-') table(current).change = 'removed';
      continue;
    }
    if (line.startsWith(');')) {
      current = undefined;
      continue;
    }
    if (!current || (sign !== '+' && sign !== '-')) continue;
    const column = line.match(COLUMN);
    if (!column || /^\s+CONSTRAINT /.test(line)) continue;
    const entry = table(current);
    if (entry.change !== 'changed') continue;
    const name = (column[1] as string).replaceAll('"', '');
    (sign === '+' ? entry.addedColumns : entry.removedColumns).push(name);
  }
  // A column whose type changed shows as removed and added: keep it out of both lists.
  for (const entry of tables.values()) {
    const both = entry.addedColumns.filter((c) => entry.removedColumns.includes(c));
    entry.addedColumns = entry.addedColumns.filter((c) => !both.includes(c));
    entry.removedColumns = entry.removedColumns.filter((c) => !both.includes(c));
  }
  return { text, tables: [...tables.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}
