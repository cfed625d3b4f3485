/**
 * The SQL store's schema history. Each migration is one `DO` block: one statement, so it runs
 * atomically in autocommit on any `query` function (a pool gives no session to hold a
 * transaction in), serialized between instances by a transaction-scoped advisory lock, and
 * skipped once `rewind_schema_version` records it. Never edit a released migration: add one.
 */
export const SQL_STORE_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial tables (the schema of the first releases, which had no version table)',
    sql: `
      CREATE TABLE IF NOT EXISTS rewind_versions (
        project_id text NOT NULL, id text NOT NULL, label text NOT NULL, prompt text, code_ref text,
        parent_id text, snapshot_id text NOT NULL, kind text NOT NULL, created_at text NOT NULL,
        expires_at text, metadata text NOT NULL DEFAULT '{}', PRIMARY KEY (project_id, id));
      CREATE TABLE IF NOT EXISTS rewind_projects (project_id text PRIMARY KEY, state text NOT NULL);
      CREATE TABLE IF NOT EXISTS rewind_idempotency (
        project_id text NOT NULL, key text NOT NULL, version_id text NOT NULL, PRIMARY KEY (project_id, key));
      CREATE TABLE IF NOT EXISTS rewind_locks (
        project_id text PRIMARY KEY, holder text NOT NULL, holder_id text NOT NULL, expires_at bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS rewind_events (
        project_id text NOT NULL, restore_id text NOT NULL, id integer NOT NULL, event text NOT NULL,
        PRIMARY KEY (project_id, restore_id, id));
      CREATE TABLE IF NOT EXISTS rewind_previews (
        project_id text NOT NULL, id text NOT NULL, preview text NOT NULL, PRIMARY KEY (project_id, id));`,
  },
  {
    version: 2,
    name: 'restore records, fenced leases on the store clock, jsonb state, idempotency body hashes',
    sql: `
      ALTER TABLE rewind_projects ALTER COLUMN state TYPE jsonb USING state::jsonb;
      -- Lease expiry moves from each instance's clock (ms) to the store's.
      ALTER TABLE rewind_locks ALTER COLUMN expires_at TYPE timestamptz USING to_timestamp(expires_at / 1000.0);
      ALTER TABLE rewind_locks ADD COLUMN epoch bigint NOT NULL DEFAULT 1;
      ALTER TABLE rewind_idempotency ADD COLUMN body_hash text;
      CREATE TABLE rewind_restores (
        project_id text NOT NULL, id text NOT NULL, status text NOT NULL, record jsonb NOT NULL,
        created_at text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (project_id, id));
      CREATE INDEX rewind_restores_open ON rewind_restores (project_id) WHERE status = 'running';
      -- Intents left open by the previous release become open restore records: recovery settles
      -- them from what Neon shows, as it settles its own.
      INSERT INTO rewind_restores (project_id, id, status, record, created_at)
      SELECT p.project_id, i->>'restoreId', 'running', jsonb_build_object(
          'id', i->>'restoreId', 'projectId', p.project_id, 'branchName', coalesce(p.state->>'branchName', 'main'),
          'kind', CASE WHEN i->'preview' IS NOT NULL AND i->'preview' <> 'null'::jsonb THEN 'promote' ELSE 'restore' END,
          'versionId', i->>'versionId', 'snapshotId', coalesce(v.snapshot_id, ''), 'actor', NULL,
          'token', '', 'holderId', i->>'restoreId',
          'steps', '["undo-point","restore","record","cleanup"]'::jsonb,
          'done', CASE WHEN i->>'undoVersionId' IS NULL THEN '[]'::jsonb ELSE '["undo-point"]'::jsonb END,
          'status', 'running', 'phase', 'asked', 'liveBeforeId', i->>'liveBeforeId',
          'restoredBranchId', i->'restoredBranchId', 'swapped', false, 'asking', true,
          'undoVersionId', i->'undoVersionId', 'undoTaken', (i->>'undoVersionId') IS NOT NULL,
          'preview', coalesce(i->'preview', 'null'::jsonb), 'error', NULL, 'lastEventId',
          coalesce((SELECT max(e.id) FROM rewind_events e WHERE e.project_id = p.project_id AND e.restore_id = i->>'restoreId'), 0),
          'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'finishedAt', NULL, 'updatedAt', 0),
        to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      FROM rewind_projects p
      CROSS JOIN LATERAL jsonb_array_elements(coalesce(p.state->'pendingRestores', '[]'::jsonb)) i
      LEFT JOIN rewind_versions v ON v.project_id = p.project_id AND v.id = i->>'versionId';
      UPDATE rewind_projects SET state = state - 'pendingRestores' WHERE state ? 'pendingRestores';`,
  },
  {
    version: 3,
    name: 'version schemas stored once per content hash, pins, reconciliation times, request budget',
    sql: `
      CREATE TABLE rewind_schemas (hash text PRIMARY KEY, sql text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      ALTER TABLE rewind_versions ADD COLUMN schema_hash text;
      ALTER TABLE rewind_versions ADD COLUMN pinned boolean NOT NULL DEFAULT false;
      -- When each project was last reconciled with Neon (the timeline is served from the store).
      CREATE TABLE rewind_reconciles (project_id text PRIMARY KEY, at timestamptz NOT NULL);
      -- The deployment's Neon request budget: token buckets shared by every instance.
      CREATE TABLE rewind_budget (key text PRIMARY KEY, tokens float8 NOT NULL, at timestamptz NOT NULL);`,
  },
  {
    version: 4,
    name: "where each version's snapshot was taken (lsn, source branch): an undo proves from it that nothing changed",
    sql: `
      ALTER TABLE rewind_versions ADD COLUMN lsn text;
      ALTER TABLE rewind_versions ADD COLUMN source_branch_id text;`,
  },
];

/** One statement that applies `migration` unless it was applied. */
export function migrationStatement(migration: { version: number; sql: string }): string {
  return `DO $rewind$
BEGIN
  PERFORM pg_advisory_xact_lock(7283001);
  IF EXISTS (SELECT 1 FROM rewind_schema_version WHERE version = ${migration.version}) THEN RETURN; END IF;
  ${migration.sql}
  INSERT INTO rewind_schema_version (version) VALUES (${migration.version});
END
$rewind$`;
}

// Under the same lock: two instances creating it at once would collide in the catalog.
export const SCHEMA_VERSION_TABLE = `DO $rewind$
BEGIN
  PERFORM pg_advisory_xact_lock(7283001);
  CREATE TABLE IF NOT EXISTS rewind_schema_version (
    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
END
$rewind$`;
