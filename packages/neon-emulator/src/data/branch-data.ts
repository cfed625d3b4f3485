import type { HttpQueryBody } from './http-query-body';

/**
 * What the emulator's engine asks of branch data: real Postgres (`BranchDatabases`, the default)
 * or nothing but schemas (`MetadataOnlyData`, for simulations of thousands of projects).
 */
export interface BranchData {
  createEmpty(branchId: string): Promise<void>;
  createFromBranch(branchId: string, parentId: string): Promise<void>;
  createFromSnapshot(branchId: string, snapshotId: string): Promise<void>;
  snapshot(branchId: string, snapshotId: string): Promise<{ size: number; lsn: string }>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  deleteBranch(branchId: string): Promise<void>;
  /** The branch's schema as `pg_dump --schema-only` writes it, owned by `owner`. */
  schemaOf(branchId: string, owner: string): Promise<string>;
  /** The branch's current WAL position (`pg_current_wal_lsn()`). */
  headLsn(branchId: string): Promise<string>;
  /** Run a SQL-over-HTTP body (`POST /sql`) against the branch, answering as Neon does. */
  sqlOverHttp(branchId: string, body: HttpQueryBody): Promise<unknown>;
  acquireSocket(branchId: string): Promise<{ port: number; release: () => void }>;
  close(): Promise<void>;
  /** Postgres instances open now. */
  readonly openCount: number;
}
