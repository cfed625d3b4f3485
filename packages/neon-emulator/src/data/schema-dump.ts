import type { PGlite } from '@electric-sql/pglite';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;

/**
 * A pg_dump-like, deterministic text of a database's schema (tables, columns, constraints,
 * indexes, views, sequences, enums), so two branches can be compared with a unified diff.
 * PGlite has no pg_dump binary; the catalogs give us everything compare_schema needs.
 */
export async function dumpSchema(db: PGlite): Promise<string> {
  const parts: string[] = [];

  const schemas = await db.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n WHERE ${USER_SCHEMAS} AND n.nspname <> 'public' ORDER BY 1`,
  );
  for (const { name } of schemas.rows) parts.push(`CREATE SCHEMA ${name};`);

  const enums = await db.query<{ name: string; labels: string[] }>(
    `SELECT n.nspname || '.' || t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE ${USER_SCHEMAS} GROUP BY 1 ORDER BY 1`,
  );
  for (const { name, labels } of enums.rows) {
    parts.push(`CREATE TYPE ${name} AS ENUM (${labels.map((l) => `'${l}'`).join(', ')});`);
  }

  const sequences = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND ${USER_SCHEMAS} ORDER BY 1`,
  );
  for (const { name } of sequences.rows) parts.push(`CREATE SEQUENCE ${name};`);

  const columns = await db.query<{
    tbl: string;
    col: string;
    type: string;
    notnull: boolean;
    def: string | null;
  }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
      ORDER BY 1, a.attnum`,
  );
  const constraints = await db.query<{ tbl: string; name: string; def: string }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMAS} AND k.contype <> 'n' ORDER BY 1, 2`,
  );
  // (contype 'n': Postgres 18 lists NOT NULL as constraints; the columns already say NOT NULL.)
  const tables = new Map<string, string[]>();
  for (const column of columns.rows) {
    const lines = tables.get(column.tbl) ?? [];
    let line = `    ${column.col} ${column.type}`;
    if (column.def !== null) line += ` DEFAULT ${column.def}`;
    if (column.notnull) line += ' NOT NULL';
    lines.push(line);
    tables.set(column.tbl, lines);
  }
  for (const constraint of constraints.rows) {
    tables.get(constraint.tbl)?.push(`    CONSTRAINT ${constraint.name} ${constraint.def}`);
  }
  for (const [name, lines] of tables) {
    parts.push(`CREATE TABLE ${name} (\n${lines.join(',\n')}\n);`);
  }

  const indexes = await db.query<{ def: string }>(
    `SELECT i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)
      ORDER BY i.schemaname, i.tablename, i.indexname`,
  );
  for (const { def } of indexes.rows) parts.push(`${def};`);

  const views = await db.query<{ name: string; def: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, pg_get_viewdef(c.oid, true) AS def
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS} ORDER BY 1`,
  );
  for (const { name, def } of views.rows) parts.push(`CREATE VIEW ${name} AS\n${def.trim()}`);

  return parts.length === 0 ? '' : `${parts.join('\n\n')}\n`;
}
