import { type RestoreEvent, RewindError } from '@rewind/protocol';
import type { RestoreRecord } from '../types';
import { migrationStatement, SCHEMA_VERSION_TABLE, SQL_STORE_MIGRATIONS } from './sql-migrations';
import {
  EMPTY_PROJECT_STATE,
  type Fence,
  type LockHolder,
  type RewindStore,
  type StatePatch,
  type StoredPreview,
  type StoredVersion,
} from './store';

export { SQL_STORE_MIGRATIONS };

/** Any Postgres query function: `pg`'s `pool.query`, PGlite's `db.query`, `@neondatabase/serverless`. */
export type SqlQuery = (
  text: string,
  params?: unknown[],
) => Promise<{ rows: Array<Record<string, unknown>> }>;

export interface SqlStore extends RewindStore {
  /** Apply the numbered migrations not applied yet (safe on every start, from several instances at once). */
  migrate(): Promise<void>;
  /** The newest migration applied, 0 for an empty database. */
  schemaVersion(): Promise<number>;
}

/** Builds one statement's parameter list: `p(value)` answers its `$n`. */
function params() {
  const values: unknown[] = [];
  const p = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  return { values, p };
}

// The fence as the first CTE of a write: the lock row is read FOR SHARE, so a takeover (an
// UPDATE of that row) waits for this statement, and a write that starts after it sees the new
// epoch and writes nothing. Expiry is `now()`: the store's clock, never an instance's.
function fenceCte(p: (v: unknown) => string, projectId: string, fence: Fence | null | undefined): string {
  if (!fence) return 'fence AS (SELECT 1 AS ok)';
  return `fence AS (SELECT 1 AS ok FROM rewind_locks WHERE project_id = ${p(projectId)} AND holder_id = ${p(fence.holderId)}
    AND epoch = ${p(fence.epoch)} AND expires_at > now() FOR SHARE)`;
}

// A patch as an expression over `base` (the stored state, or NULL for a new row): per field,
// so concurrent patches of different fields both land.
function stateExpr(p: (v: unknown) => string, base: string, patch: StatePatch): string {
  const set: Record<string, unknown> = {};
  for (const field of ['currentVersionId', 'undoVersionId', 'liveBranchId'] as const)
    if (patch[field] !== undefined) set[field] = patch[field];
  let expr = `(coalesce(${base}, '{}'::jsonb) || ${p(JSON.stringify(set))}::jsonb)`;
  if (patch.cleanupAdd?.length || patch.cleanupRemove?.length) {
    expr = `(${expr} || jsonb_build_object('pendingCleanup', (SELECT coalesce(jsonb_agg(DISTINCT x), '[]'::jsonb)
      FROM jsonb_array_elements_text(coalesce(${base}->'pendingCleanup', '[]'::jsonb) || ${p(JSON.stringify(patch.cleanupAdd ?? []))}::jsonb) AS t(x)
      WHERE NOT (x = ANY(${p(patch.cleanupRemove ?? [])}::text[])))))`;
  }
  if (patch.createsAdd?.length || patch.createsRemove?.length) {
    expr = `(${expr} || jsonb_build_object('pendingCreates', (SELECT coalesce(jsonb_agg(c ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(coalesce(${base}->'pendingCreates', '[]'::jsonb) || ${p(JSON.stringify(patch.createsAdd ?? []))}::jsonb)
        WITH ORDINALITY AS t(c, n)
      WHERE NOT (c->>'name' = ANY(${p(patch.createsRemove ?? [])}::text[])))))`;
  }
  return expr;
}

/** `INSERT … SELECT … FROM fence` of one version row (in a WITH that defines `fence`). */
function insertVersionSql(p: (v: unknown) => string, v: StoredVersion, onConflict: string): string {
  return `INSERT INTO rewind_versions (project_id, id, label, prompt, code_ref, parent_id, snapshot_id, kind, created_at, expires_at, metadata, schema_hash, pinned, lsn, source_branch_id)
          SELECT ${[v.projectId, v.id, v.label, v.prompt, v.codeRef, v.parentId, v.snapshotId, v.kind, v.createdAt, v.expiresAt, JSON.stringify(v.metadata), v.schemaHash ?? null, v.pinned ?? false, v.lsn ?? null, v.sourceBranchId ?? null].map(p).join(', ')}
          FROM fence ${onConflict} RETURNING 1`;
}

/**
 * CTEs `gone` and `moved`: one version row deleted if the fence holds, its children moved to its
 * parent in the same statement (a concurrent reader never sees a child of a missing parent).
 */
function removeVersionSql(p: (v: unknown) => string, projectId: string, id: string): string {
  return `gone AS (DELETE FROM rewind_versions WHERE project_id = ${p(projectId)} AND id = ${p(id)} AND EXISTS (SELECT 1 FROM fence) RETURNING parent_id),
        moved AS (UPDATE rewind_versions SET parent_id = (SELECT parent_id FROM gone)
                  WHERE project_id = ${p(projectId)} AND parent_id = ${p(id)} AND EXISTS (SELECT 1 FROM gone))`;
}

function stateCte(p: (v: unknown) => string, projectId: string, patch: StatePatch | undefined): string {
  if (!patch) return '';
  return `, st AS (INSERT INTO rewind_projects (project_id, state) SELECT ${p(projectId)}, ${stateExpr(p, 'NULL::jsonb', patch)} FROM fence
    ON CONFLICT (project_id) DO UPDATE SET state = ${stateExpr(p, 'rewind_projects.state', patch)} RETURNING 1)`;
}

const lost = () => new RewindError('lease_lost', 'This lease of the project was lost');

/**
 * A store over any Postgres `query(text, params)` function, shared by every instance of the
 * handler (locks and restore logs included). Keep it in a metadata database, never in the
 * database being restored. Every multi-part write is one statement, so it is atomic without a
 * transaction, and fenced writes check the lease in that same statement.
 *
 * @example
 * const store = sqlStore((text, params) => pool.query(text, params));
 * await store.migrate();
 */
export function sqlStore(query: SqlQuery): SqlStore {
  const toVersion = (row: Record<string, unknown>): StoredVersion => ({
    id: String(row.id),
    projectId: String(row.project_id),
    label: String(row.label),
    prompt: (row.prompt as string | null) ?? null,
    codeRef: (row.code_ref as string | null) ?? null,
    parentId: (row.parent_id as string | null) ?? null,
    snapshotId: String(row.snapshot_id),
    kind: row.kind as StoredVersion['kind'],
    createdAt: String(row.created_at),
    expiresAt: (row.expires_at as string | null) ?? null,
    metadata: JSON.parse(String(row.metadata)),
    ...(typeof row.schema_hash === 'string' ? { schemaHash: row.schema_hash } : {}),
    ...(row.pinned === true ? { pinned: true } : {}),
    ...(typeof row.lsn === 'string' ? { lsn: row.lsn } : {}),
    ...(typeof row.source_branch_id === 'string' ? { sourceBranchId: row.source_branch_id } : {}),
  });
  const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;
  // Runs a fenced statement whose last SELECT answers `ok` (the fence held).
  const fenced = async (text: string, values: unknown[]) => {
    const { rows } = await query(text, values);
    if (Number(rows[0]?.ok ?? 0) === 0) throw lost();
  };

  return {
    async migrate() {
      await query(SCHEMA_VERSION_TABLE);
      for (const migration of SQL_STORE_MIGRATIONS) await query(migrationStatement(migration));
    },
    async schemaVersion() {
      const { rows } = await query(
        `SELECT CASE WHEN to_regclass('rewind_schema_version') IS NULL THEN 0
           ELSE (SELECT coalesce(max(version), 0) FROM rewind_schema_version) END AS v`,
      ).catch(() => ({ rows: [{ v: 0 }] }));
      return Number(rows[0]?.v ?? 0);
    },
    async now() {
      const { rows } = await query(`SELECT (extract(epoch FROM now()) * 1000)::float8 AS now`);
      return Number(rows[0]?.now);
    },
    async listVersions(projectId) {
      const { rows } = await query(
        'SELECT * FROM rewind_versions WHERE project_id = $1 ORDER BY created_at, id',
        [projectId],
      );
      return rows.map(toVersion);
    },
    async getVersion(projectId, id) {
      const { rows } = await query('SELECT * FROM rewind_versions WHERE project_id = $1 AND id = $2', [
        projectId,
        id,
      ]);
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async insertVersion(v, { fence, idempotency, state } = {}) {
      const { values, p } = params();
      const text = `WITH ${fenceCte(p, v.projectId, fence)},
        ins AS (${insertVersionSql(p, v, '')})
        ${idempotency ? `, idem AS (INSERT INTO rewind_idempotency (project_id, key, version_id, body_hash) SELECT ${p(v.projectId)}, ${p(idempotency.key)}, ${p(v.id)}, ${p(idempotency.bodyHash)} FROM fence RETURNING 1)` : ''}
        ${stateCte(p, v.projectId, state)}
        SELECT count(*)::int AS ok FROM fence`;
      try {
        await fenced(text, values);
      } catch (error) {
        // A second insert of one key (two retries racing) violates its primary key: a conflict.
        if ((error as { code?: string }).code === '23505')
          throw new RewindError('conflict', 'This version or idempotency key already exists', {
            cause: error,
          });
        throw error;
      }
    },
    async setPinned(projectId, id, pinned) {
      const { rows } = await query(
        'UPDATE rewind_versions SET pinned = $3 WHERE project_id = $1 AND id = $2 RETURNING *',
        [projectId, id, pinned],
      );
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async renameVersion(projectId, id, label) {
      const { rows } = await query(
        'UPDATE rewind_versions SET label = $3 WHERE project_id = $1 AND id = $2 RETURNING *',
        [projectId, id, label],
      );
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async deleteVersion(projectId, id, fence) {
      const { values, p } = params();
      // One statement, so a concurrent reader never sees children pointing at a missing parent.
      const text = `WITH ${fenceCte(p, projectId, fence)},
        ${removeVersionSql(p, projectId, id)}
        SELECT (SELECT count(*) FROM fence)::int AS ok, (SELECT count(*) FROM gone)::int AS n`;
      const { rows } = await query(text, values);
      if (Number(rows[0]?.ok ?? 0) === 0) throw lost();
      return Number(rows[0]?.n ?? 0) > 0;
    },
    async claimReconcile(projectId, intervalMs) {
      const { rows } = await query(
        `INSERT INTO rewind_reconciles (project_id, at) VALUES ($1, now())
         ON CONFLICT (project_id) DO UPDATE SET at = now()
         WHERE rewind_reconciles.at <= now() - $2::float8 * interval '1 millisecond'
         RETURNING 1`,
        [projectId, intervalMs],
      );
      return rows.length > 0;
    },
    async takeTokens(key, cost, rule) {
      // Refill and take in one statement: ON CONFLICT DO UPDATE re-reads the locked row, so
      // concurrent takers from any instance never spend the same token twice.
      const refill = `least($3::float8, rewind_budget.tokens + greatest(0, extract(epoch FROM now() - rewind_budget.at)) * $4::float8)`;
      const { rows } = await query(
        `INSERT INTO rewind_budget (key, tokens, at) SELECT $1, $3::float8 - $2::float8, now()
           WHERE $3::float8 - $2::float8 >= $5::float8
         ON CONFLICT (key) DO UPDATE SET tokens = ${refill} - $2::float8, at = now()
           WHERE ${refill} - $2::float8 >= $5::float8
         RETURNING tokens`,
        [key, cost, rule.capacity, rule.perSecond, rule.reserve],
      );
      if (rows.length > 0) return { granted: true, waitMs: 0 };
      const { rows: current } = await query(
        `SELECT least($2::float8, tokens + greatest(0, extract(epoch FROM now() - at)) * $3::float8) AS available
           FROM rewind_budget WHERE key = $1`,
        [key, rule.capacity, rule.perSecond],
      );
      const available = Number(current[0]?.available ?? rule.capacity);
      return {
        granted: false,
        waitMs: Math.ceil(((cost + rule.reserve - available) / rule.perSecond) * 1000),
      };
    },
    async putSchema(hash, sql) {
      await query('INSERT INTO rewind_schemas (hash, sql) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [
        hash,
        sql,
      ]);
    },
    async getSchema(hash) {
      const { rows } = await query('SELECT sql FROM rewind_schemas WHERE hash = $1', [hash]);
      return rows[0] ? String(rows[0].sql) : null;
    },
    async getIdempotencyKey(projectId, key) {
      const { rows } = await query(
        'SELECT version_id, body_hash FROM rewind_idempotency WHERE project_id = $1 AND key = $2',
        [projectId, key],
      );
      const row = rows[0];
      return row
        ? { versionId: String(row.version_id), bodyHash: (row.body_hash as string | null) ?? null }
        : null;
    },
    async getProjectState(projectId) {
      const { rows } = await query('SELECT state FROM rewind_projects WHERE project_id = $1', [projectId]);
      return { ...structuredClone(EMPTY_PROJECT_STATE), ...(rows[0] ? json<object>(rows[0].state) : {}) };
    },
    async patchProjectState(projectId, patch, fence) {
      const { values, p } = params();
      await fenced(
        `WITH ${fenceCte(p, projectId, fence)} ${stateCte(p, projectId, patch)} SELECT count(*)::int AS ok FROM fence`,
        values,
      );
    },
    async claimBranchName(projectId, branchName) {
      const { rows } = await query(
        `INSERT INTO rewind_projects (project_id, state) VALUES ($1, jsonb_build_object('branchName', $2::text))
         ON CONFLICT (project_id) DO UPDATE SET state = CASE WHEN rewind_projects.state ? 'branchName'
           THEN rewind_projects.state ELSE rewind_projects.state || jsonb_build_object('branchName', $2::text) END
         RETURNING state->>'branchName' AS name`,
        [projectId, branchName],
      );
      return String(rows[0]?.name);
    },
    async acquireLock(projectId, holder: LockHolder, ttlMs) {
      // Atomic: insert, or take over an expired lock (a new epoch); a live holder makes it a no-op.
      const { rows } = await query(
        `INSERT INTO rewind_locks (project_id, holder, holder_id, expires_at, epoch)
         VALUES ($1, $2, $3, now() + $4::float8 * interval '1 millisecond', 1)
         ON CONFLICT (project_id) DO UPDATE SET holder = EXCLUDED.holder, holder_id = EXCLUDED.holder_id,
           expires_at = EXCLUDED.expires_at, epoch = rewind_locks.epoch + 1
         WHERE rewind_locks.expires_at <= now()
         RETURNING holder_id, epoch`,
        [projectId, JSON.stringify(holder), holder.id, ttlMs],
      );
      if (rows[0]?.holder_id === holder.id)
        return { acquired: true, fence: { holderId: holder.id, epoch: Number(rows[0].epoch) } };
      const current = await this.getLock(projectId);
      if (!current) return this.acquireLock(projectId, holder, ttlMs);
      return { acquired: false, holder: current };
    },
    async renewLock(projectId, fence, ttlMs) {
      const { rows } = await query(
        `UPDATE rewind_locks SET expires_at = now() + $4::float8 * interval '1 millisecond'
         WHERE project_id = $1 AND holder_id = $2 AND epoch = $3 AND expires_at > now() RETURNING 1`,
        [projectId, fence.holderId, fence.epoch, ttlMs],
      );
      return rows.length > 0;
    },
    async releaseLock(projectId, fence) {
      // Expired rather than deleted, so epochs keep counting up.
      await query(
        `UPDATE rewind_locks SET expires_at = '-infinity' WHERE project_id = $1 AND holder_id = $2 AND epoch = $3`,
        [projectId, fence.holderId, fence.epoch],
      );
    },
    async getLock(projectId) {
      const { rows } = await query(
        'SELECT holder FROM rewind_locks WHERE project_id = $1 AND expires_at > now()',
        [projectId],
      );
      return rows[0] ? (JSON.parse(String(rows[0].holder)) as LockHolder) : null;
    },
    async commitRestore(record, { fence, events = [], state, version, removePreview }) {
      const { values, p } = params();
      const { updatedAt: _ignored, ...body } = record;
      const text = `WITH ${fenceCte(p, record.projectId, fence)},
        rec AS (INSERT INTO rewind_restores (project_id, id, status, record, created_at, updated_at)
          SELECT ${p(record.projectId)}, ${p(record.id)}, ${p(record.status)}, ${p(JSON.stringify(body))}::jsonb, ${p(record.createdAt)}, now() FROM fence
          ON CONFLICT (project_id, id) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record, updated_at = now()
          RETURNING 1)
        ${
          events.length
            ? `, ev AS (INSERT INTO rewind_events (project_id, restore_id, id, event)
          SELECT ${p(record.projectId)}, ${p(record.id)}, (e->>'id')::int, e::text FROM fence, jsonb_array_elements(${p(JSON.stringify(events))}::jsonb) AS e
          ON CONFLICT DO NOTHING RETURNING 1)`
            : ''
        }
        ${version?.insert ? `, vins AS (${insertVersionSql(p, version.insert, 'ON CONFLICT (project_id, id) DO NOTHING')})` : ''}
        ${version?.remove ? `, ${removeVersionSql(p, record.projectId, version.remove)}` : ''}
        ${removePreview ? `, pgone AS (DELETE FROM rewind_previews WHERE project_id = ${p(record.projectId)} AND id = ${p(removePreview)} AND EXISTS (SELECT 1 FROM fence) RETURNING 1)` : ''}
        ${stateCte(p, record.projectId, state)}
        SELECT count(*)::int AS ok FROM fence`;
      await fenced(text, values);
    },
    async getRestore(projectId, id) {
      const { rows } = await query(
        `SELECT record, (extract(epoch FROM updated_at) * 1000)::float8 AS updated FROM rewind_restores WHERE project_id = $1 AND id = $2`,
        [projectId, id],
      );
      return rows[0] ? { ...json<RestoreRecord>(rows[0].record), updatedAt: Number(rows[0].updated) } : null;
    },
    async listRestores(projectId, { open, limit = 100 } = {}) {
      const { rows } = await query(
        `SELECT record, (extract(epoch FROM updated_at) * 1000)::float8 AS updated FROM rewind_restores
         WHERE project_id = $1 ${open ? `AND status = 'running'` : ''} ORDER BY started_at DESC, id DESC LIMIT $2`,
        [projectId, limit],
      );
      return rows.map((row) => ({ ...json<RestoreRecord>(row.record), updatedAt: Number(row.updated) }));
    },
    async readEvents(projectId, restoreId, afterId) {
      const { rows } = await query(
        'SELECT event FROM rewind_events WHERE project_id = $1 AND restore_id = $2 AND id > $3 ORDER BY id',
        [projectId, restoreId, afterId],
      );
      return rows.map((row) => JSON.parse(String(row.event)) as RestoreEvent);
    },
    async putPreview(preview: StoredPreview, fence) {
      const { values, p } = params();
      await fenced(
        `WITH ${fenceCte(p, preview.projectId, fence)},
         w AS (INSERT INTO rewind_previews (project_id, id, preview) SELECT ${p(preview.projectId)}, ${p(preview.id)}, ${p(JSON.stringify(preview))} FROM fence
           ON CONFLICT (project_id, id) DO UPDATE SET preview = EXCLUDED.preview RETURNING 1)
         SELECT count(*)::int AS ok FROM fence`,
        values,
      );
    },
    async getPreview(projectId, id) {
      const { rows } = await query('SELECT preview FROM rewind_previews WHERE project_id = $1 AND id = $2', [
        projectId,
        id,
      ]);
      return rows[0] ? (JSON.parse(String(rows[0].preview)) as StoredPreview) : null;
    },
    async listPreviews(projectId) {
      const { rows } = await query('SELECT preview FROM rewind_previews WHERE project_id = $1 ORDER BY id', [
        projectId,
      ]);
      return rows.map((row) => JSON.parse(String(row.preview)) as StoredPreview);
    },
    async deletePreview(projectId, id, fence) {
      const { values, p } = params();
      await fenced(
        `WITH ${fenceCte(p, projectId, fence)},
         w AS (DELETE FROM rewind_previews WHERE project_id = ${p(projectId)} AND id = ${p(id)} AND EXISTS (SELECT 1 FROM fence) RETURNING 1)
         SELECT count(*)::int AS ok FROM fence`,
        values,
      );
    },
  };
}
