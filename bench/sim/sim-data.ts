// The simulated branch data: one value per branch and per snapshot (the chaos harness's table
// `t` with its one row), behind the emulator's metadata-only engine. Reads and writes arrive as
// SQL over HTTP through the live connection string, as Neon's serverless driver sends them, so
// the emulator decides which branch the endpoint reaches (after a finalize, the restored one).
import { MetadataOnlyData } from '@rewind/neon-emulator';

export class SimData extends MetadataOnlyData {
  readonly #values = new Map<string, string | null>();
  readonly #snapshots = new Map<string, string | null>();

  override async createEmpty(branchId: string): Promise<void> {
    await super.createEmpty(branchId);
    this.#values.set(branchId, 'init');
  }
  override async createFromBranch(branchId: string, parentId: string): Promise<void> {
    await super.createFromBranch(branchId, parentId);
    this.#values.set(branchId, this.#values.get(parentId) ?? null);
  }
  override async createFromSnapshot(branchId: string, snapshotId: string): Promise<void> {
    await super.createFromSnapshot(branchId, snapshotId);
    this.#values.set(branchId, this.#snapshots.get(snapshotId) ?? null);
  }
  override async snapshot(branchId: string, snapshotId: string) {
    this.#snapshots.set(snapshotId, this.#values.get(branchId) ?? null);
    return super.snapshot(branchId, snapshotId);
  }
  override async deleteSnapshot(snapshotId: string): Promise<void> {
    this.#snapshots.delete(snapshotId);
    await super.deleteSnapshot(snapshotId);
  }
  override async deleteBranch(branchId: string): Promise<void> {
    this.#values.delete(branchId);
    await super.deleteBranch(branchId);
  }

  /** The value a snapshot holds (the checks' "restore it somewhere and read it"). */
  snapshotValue(snapshotId: string): string | null {
    return this.#snapshots.get(snapshotId) ?? null;
  }

  override async sqlOverHttp(
    branchId: string,
    body: Parameters<MetadataOnlyData['sqlOverHttp']>[1],
  ): Promise<unknown> {
    const { query, params = [] } = body as { query: string; params?: (string | null)[] };
    if (query === 'SELECT v FROM t') {
      const value = this.#values.get(branchId) ?? null;
      return { command: 'SELECT', rowCount: 1, fields: [{ name: 'v', dataTypeID: 25 }], rows: [[value]] };
    }
    if (query === 'UPDATE t SET v = $1') {
      this.#values.set(branchId, params[0] ?? null);
      // A write moves the branch's WAL position, as a real one does.
      this.setSchema(branchId, await this.schemaOf(branchId, '{{owner}}'));
      return { command: 'UPDATE', rowCount: 1, fields: [], rows: [] };
    }
    return super.sqlOverHttp(branchId, body);
  }
}
