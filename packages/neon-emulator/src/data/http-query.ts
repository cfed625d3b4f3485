import type { PGlite, Transaction } from '@electric-sql/pglite';

import type { HttpQuery, HttpQueryBody } from './http-query-body';

export type { HttpQuery, HttpQueryBody };

/** Run a `POST /sql` body against the database, answering as Neon's SQL-over-HTTP does. */
export async function runHttpQuery(db: PGlite, body: HttpQueryBody) {
  if ('queries' in body) {
    return {
      results: await db.transaction(async (tx) => {
        const results = [];
        for (const query of body.queries) results.push(await run(db, tx, query));
        return results;
      }),
    };
  }
  return run(db, db, body);
}

// Values cross as Postgres's own text both ways: parameters as the driver prepared them, results
// unparsed, so the driver's type parsers see exactly what Neon would send.
async function run(db: PGlite, on: PGlite | Transaction, { query, params = [] }: HttpQuery) {
  const described = await db.describeQuery(query);
  const text = (value: string) => value;
  const parsers = Object.fromEntries(described.resultFields.map((f) => [f.dataTypeID, text]));
  const serializers = Object.fromEntries(described.queryParams.map((p) => [p.dataTypeID, text]));
  const result = await on.query<unknown[]>(query, params, {
    rowMode: 'array',
    parsers,
    serializers,
  } as never);
  const command = /^\s*(?:WITH\b[\s\S]*?\)\s*)?(\w+)/i.exec(query)?.[1]?.toUpperCase() ?? '';
  return {
    command: command === 'WITH' ? 'SELECT' : command,
    rowCount: result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0),
    rows: result.rows,
    fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    rowAsArray: true,
  };
}

/** The fields of a Postgres error that Neon's answers (and the drivers' errors) carry. */
export const POSTGRES_ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'constraint',
  'routine',
] as const;

/** An error as plain data: its message and the Postgres fields it has. */
export function postgresError(error: unknown): Record<string, unknown> {
  const source = (error ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { message: error instanceof Error ? error.message : String(error) };
  for (const field of POSTGRES_ERROR_FIELDS) if (source[field] !== undefined) out[field] = source[field];
  return out;
}
