import { NeonError } from '../engine/neon-error';
import type { BranchData } from './branch-data';
import type { HttpQueryBody } from './http-query-body';

/** The schema every branch of a metadata-only emulator starts with, as pg_dump would write it. */
export const METADATA_ONLY_SCHEMA = `--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET client_encoding = 'UTF8';

--
-- Name: app; Type: TABLE; Schema: public; Owner: {{owner}}
--

CREATE TABLE public.app (
    id integer NOT NULL,
    name text
);


ALTER TABLE public.app OWNER TO {{owner}};

--
-- PostgreSQL database dump complete
--

`;

/**
 * Branch "data" that is only a schema text per branch and snapshot, so that 10,000 projects fit
 * in one process: operations, limits and rate limits run as usual, SQL does not (422; endpoints
 * accept no connections). A schema can be set per branch to simulate a migration.
 */
export class MetadataOnlyData implements BranchData {
  readonly #branches = new Map<string, string>();
  readonly #snapshots = new Map<string, string>();
  readonly #lsn = new Map<string, number>();
  /** No Postgres instances: none open. */
  readonly openCount = 0;

  async createEmpty(branchId: string): Promise<void> {
    this.#branches.set(branchId, METADATA_ONLY_SCHEMA);
  }
  async createFromBranch(branchId: string, parentId: string): Promise<void> {
    this.#branches.set(branchId, this.#branches.get(parentId) ?? METADATA_ONLY_SCHEMA);
  }
  async createFromSnapshot(branchId: string, snapshotId: string): Promise<void> {
    this.#branches.set(branchId, this.#snapshots.get(snapshotId) ?? METADATA_ONLY_SCHEMA);
  }
  async snapshot(branchId: string, snapshotId: string): Promise<{ size: number; lsn: string }> {
    this.#snapshots.set(snapshotId, this.#branches.get(branchId) ?? METADATA_ONLY_SCHEMA);
    return { size: 0, lsn: await this.headLsn(branchId) };
  }
  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.#snapshots.delete(snapshotId);
  }
  async deleteBranch(branchId: string): Promise<void> {
    this.#branches.delete(branchId);
    this.#lsn.delete(branchId);
  }
  async schemaOf(branchId: string, owner: string): Promise<string> {
    return (this.#branches.get(branchId) ?? METADATA_ONLY_SCHEMA).replaceAll('{{owner}}', owner);
  }
  async headLsn(branchId: string): Promise<string> {
    return `0/${(this.#lsn.get(branchId) ?? 0x1000000).toString(16).toUpperCase()}`;
  }
  /** Simulate a migration: a new schema (and WAL position) for the branch. */
  setSchema(branchId: string, schema: string): void {
    this.#branches.set(branchId, schema);
    this.#lsn.set(branchId, (this.#lsn.get(branchId) ?? 0x1000000) + 0x100);
  }
  async sqlOverHttp(_branchId: string, _body: HttpQueryBody): Promise<unknown> {
    throw new NeonError(422, 'this emulator runs metadata only: branches hold no data');
  }
  async acquireSocket(): Promise<{ port: number; release: () => void }> {
    throw new Error('this emulator runs metadata only: endpoints accept no connections');
  }
  async close(): Promise<void> {}
}
