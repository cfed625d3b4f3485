import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BranchData } from '../data/branch-data';
import { EndpointProxy } from '../data/endpoint-proxy';
import type { ResolvedOptions } from '../options';
import type { FaultInjector } from './faults';
import { type IdKind, isoTime, newId } from './ids';
import { badRequest, NeonError, notFound } from './neon-error';
import { OperationRunner } from './operation-runner';
import type { BranchRecord, EmulatorState, EndpointRecord, ProjectRecord, SnapshotRecord } from './records';
import { type EmulatorRuntime, everyOn, sleepOn } from './runtime';

/**
 * The emulator's state and the machinery around it: records, operations, branch databases,
 * endpoint ports, persistence. Domain rules live in the sibling files that take a World.
 */
const POSTGRES_PORT = 5432;

/** 127.a.b.c with a ≥ 1: never 127.0.0.x, where a machine's own Postgres may listen. */
function randomLoopbackAddress(random: () => number): string {
  const byte = (min: number) => min + Math.floor(random() * (255 - min));
  return `127.${byte(1)}.${byte(0)}.${byte(1)}`;
}

export class World {
  readonly state: EmulatorState = {
    projects: [],
    branches: [],
    endpoints: [],
    snapshots: [],
    operations: [],
  };
  readonly runner: OperationRunner;
  readonly proxies = new Map<string, EndpointProxy>();
  readonly poolers = new Map<string, EndpointProxy>();
  #persistTimer: (() => void) | undefined;
  #persisting: Promise<void> = Promise.resolve();

  constructor(
    readonly options: ResolvedOptions,
    readonly data: BranchData,
    readonly faults: FaultInjector,
  ) {
    this.runtime = options.runtime;
    this.runner = new OperationRunner(
      this.runtime,
      this.state.operations,
      faults,
      { durationMs: options.durationMs, retryDelayMs: options.retryDelayMs },
      () => this.changed(),
      options.onOperation,
    );
    this.#background = everyOn(this.runtime, 100, () => this.#foreignOperations());
  }

  readonly runtime: EmulatorRuntime;
  /** Now on the emulator's clock (ms). */
  now(): number {
    return this.runtime.now();
  }
  /** Now (or `ms`) as Neon prints timestamps. */
  iso(ms = this.now()): string {
    return isoTime(ms);
  }
  /** A new id of Neon's shape for `kind`. */
  id(kind: IdKind): string {
    return newId(kind, this.runtime.random);
  }

  readonly #background: () => void;
  readonly #lastForeign = new Map<string, number>();

  // Fault `foreignOperations`: Neon's control plane runs its own operations on a project (an
  // availability check, a compute suspending itself); they show in lists and hold the 423 lock.
  #foreignOperations(): void {
    const rule = this.faults.current.foreignOperations;
    if (!rule) return;
    const now = this.now();
    const actions = rule.actions ?? ['check_availability', 'suspend_compute'];
    for (const endpoint of this.state.endpoints) {
      const last = this.#lastForeign.get(endpoint.project_id) ?? now;
      if (!this.#lastForeign.has(endpoint.project_id)) this.#lastForeign.set(endpoint.project_id, now);
      if (now - last < rule.everyMs || this.runner.isLocked(endpoint.project_id)) continue;
      this.#lastForeign.set(endpoint.project_id, now);
      const action = actions[Math.floor(this.runtime.random() * actions.length)] as string;
      this.runner.enqueue(endpoint.project_id, [
        {
          action,
          branch_id: endpoint.branch_id,
          endpoint_id: endpoint.id,
          durationMs: rule.durationMs,
          background: true,
          // A compute suspends itself only when nobody is connected.
          run: async () => {
            if (action === 'suspend_compute' && this.#clientCount(endpoint.id) === 0) {
              endpoint.current_state = 'idle';
            }
          },
        },
      ]);
    }
  }

  // ---- lookups (404 with Neon-like messages) ----

  project(projectId: string): ProjectRecord {
    const project = this.state.projects.find((p) => p.id === projectId);
    if (!project) throw notFound('project', projectId);
    return project;
  }

  findBranch(projectId: string, branchId: string): BranchRecord | undefined {
    return this.state.branches.find((b) => b.project_id === projectId && b.id === branchId);
  }

  branch(projectId: string, branchId: string): BranchRecord {
    this.project(projectId);
    const branch = this.findBranch(projectId, branchId);
    if (!branch) throw notFound('branch', branchId);
    return branch;
  }

  branchesOf(projectId: string): BranchRecord[] {
    return this.state.branches.filter((b) => b.project_id === projectId);
  }

  // Fault `branchListLagMs`: for a while after a finalize, reads show the branches as they were.
  readonly #staleBranches = new Map<string, { until: number; branches: BranchRecord[] }>();

  /** Remember the project's branches as they are now, for reads during the lag. */
  freezeBranchReads(projectId: string): void {
    const lag = this.faults.current.branchListLagMs;
    if (lag <= 0) return;
    this.#staleBranches.set(projectId, {
      until: this.now() + lag,
      branches: structuredClone(this.branchesOf(projectId)),
    });
  }

  /** The branches a GET shows: the live ones, or during a lag the remembered ones. */
  branchesForRead(projectId: string): BranchRecord[] {
    const stale = this.#staleBranches.get(projectId);
    if (stale && this.now() < stale.until) {
      // Branches made since still show up (a lagging list is old, not empty).
      const known = new Set(stale.branches.map((b) => b.id));
      return [...stale.branches, ...this.branchesOf(projectId).filter((b) => !known.has(b.id))];
    }
    this.#staleBranches.delete(projectId);
    return this.branchesOf(projectId);
  }

  endpointsOf(projectId: string, branchId?: string): EndpointRecord[] {
    return this.state.endpoints.filter(
      (e) => e.project_id === projectId && (branchId === undefined || e.branch_id === branchId),
    );
  }

  snapshotsOf(projectId: string): SnapshotRecord[] {
    return this.state.snapshots.filter((s) => s.project_id === projectId);
  }

  snapshot(projectId: string, snapshotId: string): SnapshotRecord {
    this.project(projectId);
    const snapshot = this.state.snapshots.find((s) => s.project_id === projectId && s.id === snapshotId);
    if (!snapshot) throw notFound('snapshot', snapshotId);
    return snapshot;
  }

  // ---- rules shared by every mutation ----

  /** Neon serializes operations per project: scheduling new work while one runs is a 423. */
  assertUnlocked(projectId: string): void {
    if (this.runner.isLocked(projectId)) {
      throw new NeonError(
        423,
        'project already has running conflicting operations, scheduling of new ones is prohibited',
      );
    }
  }

  /** A branch created moments ago may not be ready for mutations yet (fault `newBranchLagMs`). */
  assertSettled(branch: BranchRecord): void {
    if (this.now() - branch.created_ms < this.faults.current.newBranchLagMs) {
      throw new NeonError(422, 'branch not ready yet');
    }
  }

  /** A unique branch name: `base`, else `base 2`, `base 3`… (Neon's clash rule is unknown). */
  uniqueBranchName(projectId: string, base: string, except?: string): string {
    const taken = new Set(
      this.branchesOf(projectId)
        .filter((b) => b.id !== except)
        .map((b) => b.name),
    );
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base} ${n}`)) return `${base} ${n}`;
  }

  assertBranchNameFree(projectId: string, name: string): void {
    if (name.trim() === '') throw badRequest('branch name must not be empty');
    if (this.branchesOf(projectId).some((b) => b.name === name)) {
      throw new NeonError(409, `branch with the provided name "${name}" already exists`);
    }
  }

  // ---- endpoints ----

  /** Create an endpoint record with a listening stable port. */
  async createEndpoint(projectId: string, branchId: string): Promise<EndpointRecord> {
    const now = this.iso();
    const endpoint: EndpointRecord = {
      id: this.id('endpoint'),
      project_id: projectId,
      branch_id: branchId,
      type: 'read_write',
      current_state: 'init',
      pending_state: 'active',
      created_at: now,
      updated_at: now,
      port: 0,
    };
    if (this.options.metadataOnly) {
      // Nothing to connect to: a name that resolves nowhere, and no listener (10,000 projects).
      endpoint.host = `${endpoint.id}.metadata-only.invalid`;
      endpoint.port = 5432;
    } else endpoint.port = await this.#listen(endpoint, this.#nextPortHint());
    this.state.endpoints.push(endpoint);
    this.changed();
    return endpoint;
  }

  async deleteEndpoint(endpointId: string): Promise<void> {
    const index = this.state.endpoints.findIndex((e) => e.id === endpointId);
    if (index !== -1) this.state.endpoints.splice(index, 1);
    const proxies = [this.proxies.get(endpointId), this.poolers.get(endpointId)];
    this.proxies.delete(endpointId);
    this.poolers.delete(endpointId);
    await Promise.all(proxies.map((proxy) => proxy?.stop()));
    this.changed();
  }

  #nextPortHint(): number {
    const base = this.options.endpointPortBase;
    if (base === 0) return 0;
    const used = new Set(this.state.endpoints.map((e) => e.port));
    let port = base;
    while (used.has(port)) port++;
    return port;
  }

  async #listen(endpoint: EndpointRecord, port: number): Promise<number> {
    const target = async () => {
      // Resolved per connection: after a finalize the same address reaches the restored branch.
      const current = this.state.endpoints.find((e) => e.id === endpoint.id);
      if (!current) throw new Error('endpoint deleted');
      await this.wakeEndpoint(current);
      return this.data.acquireSocket(current.branch_id);
    };
    const onEmpty = () => this.#suspendLater(endpoint.id);
    const main = await this.#bind(endpoint.host, port, target, onEmpty);
    endpoint.host = main.host;
    this.proxies.set(endpoint.id, main);
    // The pooled variant (Neon: the `-pooler` host): its own address, the same database. PGlite
    // has no pooler, so "pooled" is only where the connection goes in.
    const pooler = await this.#bind(endpoint.pooler_host, endpoint.pooler_port ?? 0, target, onEmpty);
    endpoint.pooler_host = pooler.host;
    endpoint.pooler_port = pooler.port;
    this.poolers.set(endpoint.id, pooler);
    return main.port;
  }

  async #bind(
    preferredHost: string | undefined,
    port: number,
    target: () => Promise<{ port: number; release: () => void }>,
    onEmpty: () => void,
  ): Promise<EndpointProxy> {
    if (this.options.endpointAddressing === 'hosts') {
      // An address of its own on 5432; another emulator may hold one, so a taken one is skipped.
      for (let attempt = 0; attempt < 20; attempt++) {
        const host =
          (attempt === 0 ? preferredHost : undefined) ?? randomLoopbackAddress(this.runtime.random);
        const proxy = new EndpointProxy(host, POSTGRES_PORT, target, onEmpty);
        try {
          await proxy.start();
          return proxy;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') continue;
          break; // EADDRNOTAVAIL and the like: this machine has no such address; use a port
        }
      }
    }
    const proxy = new EndpointProxy(this.options.host, port === POSTGRES_PORT ? 0 : port, target, onEmpty);
    try {
      await proxy.start();
    } catch {
      // The port saved by an earlier run is taken now: any free one.
      const fresh = new EndpointProxy(this.options.host, 0, target, onEmpty);
      await fresh.start();
      return fresh;
    }
    return proxy;
  }

  /** Drop every open client connection of an endpoint, pooled or not. */
  dropConnections(endpointId: string): void {
    this.proxies.get(endpointId)?.dropConnections();
    this.poolers.get(endpointId)?.dropConnections();
  }

  #clientCount(endpointId: string): number {
    return (
      (this.proxies.get(endpointId)?.clientCount ?? 0) + (this.poolers.get(endpointId)?.clientCount ?? 0)
    );
  }

  readonly #waking = new Map<string, Promise<void>>();

  /** Before a connection (wire protocol or SQL over HTTP) reaches the data: an idle compute wakes. */
  async wakeEndpoint(endpoint: EndpointRecord): Promise<void> {
    if (endpoint.current_state !== 'active') await this.#wake(endpoint);
  }

  /** The endpoint a connection string's host (and port) reaches. */
  endpointAt(host: string, port: number): EndpointRecord | undefined {
    // Metadata-only endpoints listen nowhere: their host name alone says which one is meant.
    if (this.options.metadataOnly) return this.state.endpoints.find((e) => e.host === host);
    return this.state.endpoints.find((e) =>
      [this.proxies.get(e.id), this.poolers.get(e.id)].some(
        (proxy) => proxy !== undefined && proxy.host === host && proxy.port === port,
      ),
    );
  }

  /** An idle compute wakes on its first connection: a cold start (`coldStartMs`), then active. */
  #wake(endpoint: EndpointRecord): Promise<void> {
    let waking = this.#waking.get(endpoint.id);
    if (!waking) {
      waking = sleepOn(this.runtime, this.options.coldStartMs).then(() => {
        this.#waking.delete(endpoint.id);
        endpoint.current_state = 'active';
        delete endpoint.pending_state;
        endpoint.updated_at = this.iso();
        this.changed();
      });
      this.#waking.set(endpoint.id, waking);
    }
    return waking;
  }

  /** With no connections left, the compute suspends after `suspendTimeoutSeconds`. */
  #suspendLater(endpointId: string): void {
    this.runtime.timer(this.options.suspendTimeoutSeconds * 1000, () => {
      const endpoint = this.state.endpoints.find((e) => e.id === endpointId);
      if (endpoint?.current_state !== 'active') return;
      if (this.#clientCount(endpointId) > 0) return;
      endpoint.current_state = 'idle';
      endpoint.updated_at = this.iso();
      this.changed();
    });
  }

  // ---- persistence ----

  /** Restore state saved by an earlier run with the same data folder. */
  async load(): Promise<void> {
    const file = this.#stateFile();
    if (!file || !existsSync(file)) return;
    const saved = JSON.parse(await readFile(file, 'utf8')) as EmulatorState;
    Object.assign(this.state, { ...saved, operations: this.state.operations });
    // Operations interrupted by a stop never resume; settle them so the project is not locked.
    for (const op of saved.operations) {
      if (
        op.status !== 'finished' &&
        op.status !== 'skipped' &&
        op.status !== 'cancelled' &&
        op.status !== 'error'
      ) {
        op.status = 'cancelled';
        op.error = 'cancelled: the emulator stopped while the operation ran';
      }
      this.state.operations.push(op);
    }
    for (const endpoint of this.state.endpoints) {
      endpoint.port = await this.#listen(endpoint, endpoint.port);
    }
  }

  changed(): void {
    if (!this.#stateFile() || this.#persistTimer) return;
    this.#persistTimer = this.runtime.timer(50, () => {
      this.#persistTimer = undefined;
      this.#persisting = this.#persisting.then(() => this.#save());
    });
  }

  async flush(): Promise<void> {
    if (this.#persistTimer) {
      this.#persistTimer();
      this.#persistTimer = undefined;
      this.#persisting = this.#persisting.then(() => this.#save());
    }
    await this.#persisting;
  }

  async #save(): Promise<void> {
    const file = this.#stateFile();
    if (!file) return;
    await writeFile(`${file}.tmp`, JSON.stringify(this.state));
    await rename(`${file}.tmp`, file);
  }

  #stateFile(): string | undefined {
    return this.options.dataDir ? join(this.options.dataDir, 'state.json') : undefined;
  }

  async close(): Promise<void> {
    this.#background();
    await Promise.all([...this.proxies.values(), ...this.poolers.values()].map((proxy) => proxy.stop()));
    this.proxies.clear();
    this.poolers.clear();
    await this.flush();
  }
}
