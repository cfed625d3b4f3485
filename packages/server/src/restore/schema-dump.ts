/**
 * The parts of a `pg_dump --schema-only` text that a restore summary names: tables with their
 * columns and constraints, and indexes. pg_dump writes a table's columns (and CHECK constraints)
 * in its `CREATE TABLE`, but primary keys, unique and foreign keys as separate
 * `ALTER TABLE ONLY … ADD CONSTRAINT` statements, indexes as `CREATE INDEX`, and serial defaults as
 * `ALTER TABLE ONLY … ALTER COLUMN … SET DEFAULT`, often far from the table. Everything else
 * (types, sequences, views, functions, owners, grants) is left to the diff text.
 */
export interface SchemaModel {
  tables: Map<string, TableModel>;
}

export interface TableModel {
  /** Its `CREATE TABLE` was seen (a fragment may only show a constraint or index naming it). */
  declared?: boolean;
  /** Column name → its definition as written (type, default, NOT NULL). */
  columns: Map<string, string>;
  constraints: Map<string, string>;
  indexes: Map<string, string>;
}

type State =
  | { kind: 'between' } // between statements
  | { kind: 'unknown' } // a fragment that starts inside a statement we cannot see the start of
  | { kind: 'table'; name: string } // inside CREATE TABLE … ( … );
  | { kind: 'alter'; name: string } // ALTER TABLE ONLY … followed by its indented action
  | { kind: 'other'; dollar: boolean }; // any other statement, possibly inside a $$ body

const NAME = '("(?:[^"]|"")+"|\\S+)';
const CREATE_TABLE = /^CREATE (?:UNLOGGED |FOREIGN )?TABLE (.+) \($/;
const CREATE_INDEX = new RegExp(`^CREATE (?:UNIQUE )?INDEX ${NAME} ON (?:ONLY )?(\\S+) (.*);$`);
const SET_DEFAULT = new RegExp(`^ALTER TABLE (?:ONLY )?(\\S+) ALTER COLUMN ${NAME} SET DEFAULT (.*);$`);
const ALTER_TABLE = /^ALTER TABLE (?:ONLY )?(\S+)$/;
const ADD_CONSTRAINT = new RegExp(`^ADD CONSTRAINT ${NAME} (.*?);?$`);
const BODY_CONSTRAINT = new RegExp(`^CONSTRAINT ${NAME} (.*)$`);
const BODY_COLUMN = new RegExp(`^${NAME} (.*)$`);
const KEYWORD = /^(?:CREATE|ALTER|COMMENT|SET|SELECT|GRANT|REVOKE|DROP)\b/;

/**
 * A model of a pg_dump text, or of a fragment of one (one side of a diff hunk). `isChanged(i)`
 * says whether line i is a changed line; `unplaced` counts changed lines inside a statement whose
 * start the fragment does not show (a column far below its `CREATE TABLE`).
 */
export function parseSchemaDump(
  text: string,
  options: { fragment?: boolean; isChanged?: (line: number) => boolean } = {},
): { model: SchemaModel; unplaced: number } {
  const model: SchemaModel = { tables: new Map() };
  const table = (name: string) => {
    const key = name.replaceAll('"', '');
    let entry = model.tables.get(key);
    if (!entry) {
      entry = { columns: new Map(), constraints: new Map(), indexes: new Map() };
      model.tables.set(key, entry);
    }
    return entry;
  };
  let unplaced = 0;
  let state: State = options.fragment ? { kind: 'unknown' } : { kind: 'between' };

  const start = (line: string): State => {
    const create = line.match(CREATE_TABLE);
    if (create) {
      table(create[1] as string).declared = true;
      return { kind: 'table', name: create[1] as string };
    }
    const index = line.match(CREATE_INDEX);
    if (index) {
      table(index[2] as string).indexes.set(unquote(index[1] as string), index[3] as string);
      return { kind: 'between' };
    }
    const setDefault = line.match(SET_DEFAULT);
    if (setDefault) {
      const entry = table(setDefault[1] as string);
      const column = unquote(setDefault[2] as string);
      entry.columns.set(column, `${entry.columns.get(column) ?? ''} DEFAULT ${setDefault[3]}`.trim());
      return { kind: 'between' };
    }
    const alter = line.match(ALTER_TABLE);
    if (alter) return { kind: 'alter', name: alter[1] as string };
    if (line.trimEnd().endsWith(';')) return { kind: 'between' };
    return { kind: 'other', dollar: dollarQuotes(line) % 2 === 1 };
  };

  text.split('\n').forEach((line, i) => {
    const ends = line.trimEnd().endsWith(';');
    const atColumnZero = line !== '' && !/^\s/.test(line);
    switch (state.kind) {
      case 'between':
        if (atColumnZero && !line.startsWith('--')) state = start(line);
        return;
      case 'unknown':
        if (atColumnZero && KEYWORD.test(line)) state = start(line);
        else {
          if (options.isChanged?.(i) && line.trim() !== '' && !line.startsWith('--')) unplaced++;
          if (atColumnZero && ends) state = { kind: 'between' };
        }
        return;
      case 'table': {
        if (line.startsWith(')')) {
          state = ends ? { kind: 'between' } : { kind: 'other', dollar: false };
          return;
        }
        const body = line.trim().replace(/,$/, '');
        const constraint = body.match(BODY_CONSTRAINT);
        const column = body.match(BODY_COLUMN);
        if (constraint)
          table(state.name).constraints.set(unquote(constraint[1] as string), constraint[2] as string);
        else if (column) table(state.name).columns.set(unquote(column[1] as string), column[2] as string);
        return;
      }
      case 'alter': {
        const add = line.trim().match(ADD_CONSTRAINT);
        if (add) table(state.name).constraints.set(unquote(add[1] as string), add[2] as string);
        if (ends) state = { kind: 'between' };
        return;
      }
      case 'other':
        if (state.dollar) {
          if (dollarQuotes(line) % 2 === 1) state = { kind: 'other', dollar: false };
          if (state.dollar === false && ends) state = { kind: 'between' };
        } else if (ends) state = { kind: 'between' };
        return;
    }
  });
  return { model, unplaced };
}

function dollarQuotes(line: string): number {
  return line.match(/\$[A-Za-z_]*\$/g)?.length ?? 0;
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}
