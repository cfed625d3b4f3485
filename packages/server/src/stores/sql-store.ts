import type { RestoreEvent } from '@rewind/protocol';
import {
  EMPTY_PROJECT_STATE,
  type LockHolder,
  type ProjectState,
  type RewindStore,
  type StoredPreview,
  type StoredVersion,
} from './store';

/** Any Postgres query function: `pg`'s `pool.query`, PGlite's `db.query`, `@neondatabase/serverless`. */
export type SqlQuery = (
  text: string,
  params?: unknown[],
) => Promise<{ rows: Array<Record<string, unknown>> }>;

/** The store's schema, idempotent. Run by `migrate()`; safe to run on every start. */
export const SQL_STORE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS rewind_versions (
     project_id text NOT NULL,
     id text NOT NULL,
     label text NOT NULL,
     prompt text,
     code_ref text,
     parent_id text,
     snapshot_id text NOT NULL,
     kind text NOT NULL,
     created_at text NOT NULL,
     expires_at text,
     metadata text NOT NULL DEFAULT '{}',
     PRIMARY KEY (project_id, id)
   )`,
  `CREATE TABLE IF NOT EXISTS rewind_projects (
     project_id text PRIMARY KEY,
     state text NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS rewind_idempotency (
     project_id text NOT NULL,
     key text NOT NULL,
     version_id text NOT NULL,
     PRIMARY KEY (project_id, key)
   )`,
  `CREATE TABLE IF NOT EXISTS rewind_locks (
     project_id text PRIMARY KEY,
     holder text NOT NULL,
     holder_id text NOT NULL,
     expires_at bigint NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS rewind_events (
     project_id text NOT NULL,
     restore_id text NOT NULL,
     id integer NOT NULL,
     event text NOT NULL,
     PRIMARY KEY (project_id, restore_id, id)
   )`,
  `CREATE TABLE IF NOT EXISTS rewind_previews (
     project_id text NOT NULL,
     id text NOT NULL,
     preview text NOT NULL,
     PRIMARY KEY (project_id, id)
   )`,
];

export interface SqlStore extends RewindStore {
  /** Create the tables if they do not exist. */
  migrate(): Promise<void>;
}

/**
 * A store over any Postgres `query(text, params)` function, shared by every instance of the
 * handler (locks and restore logs included). Keep it in a metadata database, never in the
 * database being restored.
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
  });

  return {
    async migrate() {
      for (const statement of SQL_STORE_MIGRATIONS) await query(statement);
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
    async insertVersion(v) {
      await query(
        `INSERT INTO rewind_versions (project_id, id, label, prompt, code_ref, parent_id, snapshot_id, kind, created_at, expires_at, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          v.projectId,
          v.id,
          v.label,
          v.prompt,
          v.codeRef,
          v.parentId,
          v.snapshotId,
          v.kind,
          v.createdAt,
          v.expiresAt,
          JSON.stringify(v.metadata),
        ],
      );
    },
    async renameVersion(projectId, id, label) {
      const { rows } = await query(
        'UPDATE rewind_versions SET label = $3 WHERE project_id = $1 AND id = $2 RETURNING *',
        [projectId, id, label],
      );
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async deleteVersion(projectId, id) {
      // One statement, so a concurrent reader never sees children pointing at a missing parent.
      const { rows } = await query(
        `WITH gone AS (DELETE FROM rewind_versions WHERE project_id = $1 AND id = $2 RETURNING parent_id),
              moved AS (UPDATE rewind_versions SET parent_id = (SELECT parent_id FROM gone)
                         WHERE project_id = $1 AND parent_id = $2 AND EXISTS (SELECT 1 FROM gone))
         SELECT count(*)::int AS n FROM gone`,
        [projectId, id],
      );
      return Number(rows[0]?.n ?? 0) > 0;
    },
    async getProjectState(projectId) {
      const { rows } = await query('SELECT state FROM rewind_projects WHERE project_id = $1', [projectId]);
      return rows[0]
        ? { ...EMPTY_PROJECT_STATE, ...JSON.parse(String(rows[0].state)) }
        : { ...EMPTY_PROJECT_STATE };
    },
    async updateProjectState(projectId, patch) {
      const next: ProjectState = { ...(await this.getProjectState(projectId)), ...patch };
      await query(
        `INSERT INTO rewind_projects (project_id, state) VALUES ($1, $2)
         ON CONFLICT (project_id) DO UPDATE SET state = EXCLUDED.state`,
        [projectId, JSON.stringify(next)],
      );
    },
    async getIdempotencyKey(projectId, key) {
      const { rows } = await query(
        'SELECT version_id FROM rewind_idempotency WHERE project_id = $1 AND key = $2',
        [projectId, key],
      );
      return rows[0] ? String(rows[0].version_id) : null;
    },
    async putIdempotencyKey(projectId, key, versionId) {
      await query(
        'INSERT INTO rewind_idempotency (project_id, key, version_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [projectId, key, versionId],
      );
    },
    async acquireLock(projectId, holder: LockHolder, ttlMs) {
      const now = Date.now();
      // Atomic: insert, or take over an expired lock; a live holder makes the upsert a no-op.
      const { rows } = await query(
        `INSERT INTO rewind_locks (project_id, holder, holder_id, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id) DO UPDATE SET holder = EXCLUDED.holder, holder_id = EXCLUDED.holder_id,
           expires_at = EXCLUDED.expires_at
         WHERE rewind_locks.expires_at <= $5
         RETURNING holder_id`,
        [projectId, JSON.stringify(holder), holder.id, now + ttlMs, now],
      );
      if (rows[0]?.holder_id === holder.id) return { acquired: true };
      const current = await this.getLock(projectId);
      if (!current) return this.acquireLock(projectId, holder, ttlMs);
      return { acquired: false, holder: current };
    },
    async renewLock(projectId, holderId, ttlMs) {
      const { rows } = await query(
        'UPDATE rewind_locks SET expires_at = $3 WHERE project_id = $1 AND holder_id = $2 RETURNING holder_id',
        [projectId, holderId, Date.now() + ttlMs],
      );
      return rows.length > 0;
    },
    async releaseLock(projectId, holderId) {
      await query('DELETE FROM rewind_locks WHERE project_id = $1 AND holder_id = $2', [projectId, holderId]);
    },
    async getLock(projectId) {
      const { rows } = await query(
        'SELECT holder FROM rewind_locks WHERE project_id = $1 AND expires_at > $2',
        [projectId, Date.now()],
      );
      return rows[0] ? (JSON.parse(String(rows[0].holder)) as LockHolder) : null;
    },
    async appendEvent(projectId, restoreId, event: RestoreEvent) {
      await query('INSERT INTO rewind_events (project_id, restore_id, id, event) VALUES ($1, $2, $3, $4)', [
        projectId,
        restoreId,
        event.id,
        JSON.stringify(event),
      ]);
    },
    async readEvents(projectId, restoreId, afterId) {
      const { rows } = await query(
        'SELECT event FROM rewind_events WHERE project_id = $1 AND restore_id = $2 AND id > $3 ORDER BY id',
        [projectId, restoreId, afterId],
      );
      return rows.map((row) => JSON.parse(String(row.event)) as RestoreEvent);
    },
    async putPreview(preview: StoredPreview) {
      await query(
        `INSERT INTO rewind_previews (project_id, id, preview) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, id) DO UPDATE SET preview = EXCLUDED.preview`,
        [preview.projectId, preview.id, JSON.stringify(preview)],
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
    async deletePreview(projectId, id) {
      await query('DELETE FROM rewind_previews WHERE project_id = $1 AND id = $2', [projectId, id]);
    },
  };
}
