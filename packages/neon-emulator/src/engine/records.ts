// What the emulator keeps per resource. Rendering to the spec's response shapes is in api/render.ts.

export type OperationStatus =
  | 'scheduling'
  | 'running'
  | 'finished'
  | 'failed'
  | 'error'
  | 'cancelling'
  | 'cancelled'
  | 'skipped';

export interface ProjectRecord {
  id: string;
  name: string;
  region_id: string;
  pg_version: number;
  created_at: string;
  updated_at: string;
  /** The project's one database and role (Neon: `neondb` / `neondb_owner`). */
  database_name: string;
  role_name: string;
  /** The password of the project's role, used in connection strings. */
  role_password: string;
}

export interface BranchRecord {
  id: string;
  project_id: string;
  name: string;
  parent_id?: string;
  parent_lsn?: string;
  parent_timestamp?: string;
  current_state: 'init' | 'ready';
  pending_state?: 'ready';
  state_changed_at: string;
  creation_source: string;
  default: boolean;
  protected: boolean;
  created_at: string;
  updated_at: string;
  expires_at?: string;
  init_source?: 'parent-data' | 'schema-only';
  restore_status?: 'restored' | 'finalized' | 'detaching';
  restored_from?: string;
  restored_as?: string;
  /** Free-form string annotations given at creation (`annotation_value`). */
  annotation?: Record<string, string>;
  /** Milliseconds since epoch; for the transient read-after-create 404 fault. */
  created_ms: number;
}

export interface EndpointRecord {
  id: string;
  project_id: string;
  branch_id: string;
  type: 'read_write' | 'read_only';
  current_state: 'init' | 'active' | 'idle';
  pending_state?: 'active' | 'idle';
  created_at: string;
  updated_at: string;
  /** The stable loopback address and port that speak the Postgres wire protocol. */
  host?: string;
  port: number;
  /** The pooled variant's address and port (Neon's `-pooler` host). */
  pooler_host?: string;
  pooler_port?: number;
}

export interface SnapshotRecord {
  id: string;
  project_id: string;
  name: string;
  slug?: string;
  lsn?: string;
  timestamp?: string;
  source_branch_id: string;
  created_at: string;
  expires_at?: string;
  manual: boolean;
  full_size?: number;
  /** Data captured and the snapshot usable. */
  ready: boolean;
}

export interface OperationRecord {
  id: string;
  project_id: string;
  branch_id?: string;
  endpoint_id?: string;
  action: string;
  status: OperationStatus;
  error?: string;
  failures_count: number;
  retry_at?: string;
  created_at: string;
  updated_at: string;
  total_duration_ms: number;
}

/** Everything the emulator persists (`--data DIR/state.json`). */
export interface EmulatorState {
  projects: ProjectRecord[];
  branches: BranchRecord[];
  /** Soft-deleted branches, listed with `include_deleted=true` while recoverable (option `branchRecovery`). */
  deletedBranches?: (BranchRecord & {
    recovery: { deleted_at: string; recoverable_until: string; deletion_method: 'user' | 'ttl' };
  })[];
  endpoints: EndpointRecord[];
  snapshots: SnapshotRecord[];
  operations: OperationRecord[];
}

export const TERMINAL_STATUSES: ReadonlySet<OperationStatus> = new Set([
  'finished',
  'skipped',
  'error',
  'cancelled',
]);
