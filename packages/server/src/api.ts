import type {
  CreateVersionBody,
  ListVersionsResponse,
  Preview,
  SchemaDiff,
  Version,
  VersionDiff,
} from '@rewind/protocol';
import { RewindError } from '@rewind/protocol';
import { type Core, createCore, toWire } from './core';
import {
  CodeRefInput,
  CreateVersionInput,
  IdempotencyKey,
  parseInput,
  RestoreInput,
  UpdateVersionInput,
} from './inputs';
import type { ResolvedProject, RewindApiOptions } from './options';
import { claimTarget } from './project-target';
import { type RestoreRun, restoreRun } from './restore/restore-run';
import {
  createPreview,
  diffVersion,
  discardPreview,
  listPreviews,
  previewConnectionUri,
  promotePreview,
  restoreUndoable,
  versionChanges,
} from './service/previews';
import { restoreOfToken, type StartedRestore, startRestore, undoRestore } from './service/restores';
import { withLock } from './service/settle';
import {
  createVersion,
  deleteVersion,
  isRewindId,
  listVersions,
  snapshotVersion,
  updateVersion,
  versionOfCodeRef,
  versionOrThrow,
} from './service/versions';
import type { ProjectTarget } from './types';

/** A tenant's project, as `resolveProject` answers it: `{ projectId }` and optional names. */
export type RewindTarget = ResolvedProject;

/** What `withVersion` hands the change: the live database, held for the change's duration. */
export interface ChangeContext {
  /** The live branch's connection string (server-side only; never give it to a model). */
  connectionUri: string;
  /** The live branch's id. */
  branchId: string;
}

/**
 * Rewind without HTTP, for a platform's own backend and its agents (after uploadthing's `UTApi`
 * beside its route handler): the same service as the routes, taking the tenant's project
 * directly — no request, no auth (the caller has decided who may act). Every method validates
 * its input as the routes do and throws a typed `RewindError`.
 */
export interface RewindApi {
  listVersions(target: RewindTarget): Promise<ListVersionsResponse>;
  getVersion(target: RewindTarget, versionId: string): Promise<Version>;
  /** The newest version made with this code reference (a commit sha, a deploy id), or null. */
  findVersionByCodeRef(target: RewindTarget, codeRef: string): Promise<Version | null>;
  createVersion(
    target: RewindTarget,
    body: CreateVersionBody,
    options?: { idempotencyKey?: string },
  ): Promise<Version>;
  renameVersion(target: RewindTarget, versionId: string, label: string): Promise<Version>;
  /** Pinned versions are never pruned by retention. */
  pinVersion(target: RewindTarget, versionId: string, pinned?: boolean): Promise<Version>;
  deleteVersion(target: RewindTarget, versionId: string): Promise<void>;
  /** What the version changed in the schema against its parent (stored schemas; no Neon request). */
  versionChanges(target: RewindTarget, versionId: string): Promise<SchemaDiff | null>;
  /** What restoring the version would change (from its stored schema), and whether it can be undone. */
  diffVersion(target: RewindTarget, versionId: string): Promise<VersionDiff>;
  /**
   * Apply a change to the live database while holding the project, then snapshot it as a
   * version: no restore can replace the branch under the change. If the change throws, nothing
   * is versioned and its error is thrown unchanged.
   */
  withVersion<T>(
    target: RewindTarget,
    change: (context: ChangeContext) => Promise<T>,
    /** The version's label and fields, or a function of the change's result (e.g. its commit). */
    body: CreateVersionBody | ((result: T) => CreateVersionBody | Promise<CreateVersionBody>),
  ): Promise<{ version: Version; result: T }>;
  /** Restore a version: await the run for its outcome, or iterate it for progress events. */
  restore(target: RewindTarget, versionId: string, options?: { undoable?: boolean }): RestoreRun;
  /** Undo the last restore (itself undoable). */
  undo(target: RewindTarget): RestoreRun;
  /** Attach to a restore started elsewhere (an HTTP request, another instance) by its token. */
  followRestore(target: RewindTarget, token: string): RestoreRun;
  /**
   * Open a preview branch of a version. The connection string is for the platform's own code:
   * never put it in a model's context or a browser response.
   */
  createPreview(
    target: RewindTarget,
    versionId: string,
  ): Promise<{ preview: Preview; diff: SchemaDiff; connectionUri: string }>;
  listPreviews(target: RewindTarget): Promise<Preview[]>;
  /** A preview's connection string (server-side only). */
  previewConnectionUri(target: RewindTarget, previewId: string): Promise<string>;
  /** Make a preview the live database: a restore, awaited or iterated like `restore`. */
  promotePreview(target: RewindTarget, previewId: string): RestoreRun;
  discardPreview(target: RewindTarget, previewId: string): Promise<void>;
  /**
   * Resolves once the work this instance runs after its answers has ended: restore jobs (with
   * their undo point and cleanup) and background reconciliation. For tests and graceful shutdown.
   */
  idle(): Promise<void>;
}

/**
 * Build the programmatic API. `createRewind(options).api` is the same API on the handler's own
 * core; build it alone where no HTTP handler runs (an agent's worker, a CLI).
 *
 * @example
 * const rewind = createRewindApi({ neon: { apiKey }, store, secret });
 * const { version } = await rewind.withVersion({ projectId }, migrate, { label: 'Add tags' });
 * await rewind.restore({ projectId }, version.id);
 */
export function createRewindApi(options: RewindApiOptions): RewindApi {
  return apiOnCore(createCore(options));
}

/** The API over an existing core (the handler's). */
export function apiOnCore(core: Core): RewindApi {
  const target = (input: RewindTarget) => claimTarget(core, input);
  const id = (value: unknown, what: string) => {
    if (typeof value !== 'string' || !isRewindId(value))
      throw new RewindError('bad_request', `Invalid request: ${what} must be a Rewind id`);
    return value;
  };
  // Restores run in this process until they end; an edge caller awaits the run.
  const run = (input: RewindTarget, start: (target: ProjectTarget) => Promise<StartedRestore>) =>
    restoreRun(
      core,
      target(input).then(async (t) => ({ target: t, started: await start(t) })),
    );
  return {
    listVersions: async (input) => listVersions(core, await target(input)),
    idle: () => core.idle(),
    async getVersion(input, versionId) {
      const t = await target(input);
      const version = await versionOrThrow(core, t.projectId, id(versionId, 'versionId'));
      return toWire(version, (await core.store.getProjectState(t.projectId)).currentVersionId);
    },
    findVersionByCodeRef: async (input, codeRef) =>
      versionOfCodeRef(core, await target(input), parseInput(CodeRefInput, codeRef)),
    async createVersion(input, body, options = {}) {
      const t = await target(input);
      const parsed = parseInput(CreateVersionInput, body) as CreateVersionBody;
      const key =
        options.idempotencyKey === undefined ? undefined : parseInput(IdempotencyKey, options.idempotencyKey);
      return (await createVersion(core, t, parsed, key)).version;
    },
    renameVersion: async (input, versionId, label) =>
      updateVersion(
        core,
        await target(input),
        id(versionId, 'versionId'),
        parseInput(UpdateVersionInput, { label }),
      ),
    pinVersion: async (input, versionId, pinned = true) =>
      updateVersion(
        core,
        await target(input),
        id(versionId, 'versionId'),
        parseInput(UpdateVersionInput, { pinned }),
      ),
    deleteVersion: async (input, versionId) =>
      deleteVersion(core, await target(input), id(versionId, 'versionId')),
    versionChanges: async (input, versionId) =>
      versionChanges(core, await target(input), id(versionId, 'versionId')),
    async diffVersion(input, versionId) {
      const t = await target(input);
      const [diff, undoable] = await Promise.all([
        diffVersion(core, t, id(versionId, 'versionId')),
        restoreUndoable(core, t, versionId),
      ]);
      return { ...diff, undoable };
    },
    async withVersion(input, change, body) {
      const t = await target(input);
      // A body given as a value is refused before anything runs; one computed from the change's
      // result (a commit sha known only after it) is checked then, before the snapshot.
      const early =
        typeof body === 'function' ? null : (parseInput(CreateVersionInput, body) as CreateVersionBody);
      if (typeof change !== 'function')
        throw new RewindError('bad_request', 'Invalid request: change must be a function');
      return withLock(core, t, async (lease) => {
        const live = await core.neon.findBranchByName(t.projectId, t.branchName);
        if (!live)
          throw new RewindError('not_found', `Live branch "${t.branchName}" not found in the project`);
        const connectionUri = await core.neon.connectionUri(t.projectId, live.id, t.databaseName, t.roleName);
        // The lease renews itself while the change runs; its error is the caller's, unchanged.
        const result = await change({ connectionUri, branchId: live.id });
        const parsed =
          early ??
          (parseInput(
            CreateVersionInput,
            await (body as (r: typeof result) => unknown)(result),
          ) as CreateVersionBody);
        const saving = { ...core, neon: core.neon.withPriority('save') };
        return { version: await snapshotVersion(saving, t, lease, parsed), result };
      });
    },
    restore(input, versionId, options = {}) {
      return run(input, async (t) => {
        const { undoable = true } = parseInput(RestoreInput, options);
        const version = await versionOrThrow(core, t.projectId, id(versionId, 'versionId'));
        return startRestore(core, t, version, { kind: 'restore', undoable });
      });
    },
    undo: (input) => run(input, (t) => undoRestore(core, t)),
    followRestore(input, token) {
      return run(input, async (t) => {
        if (typeof token !== 'string' || token.length > 2_000)
          throw new RewindError('bad_request', 'Invalid request: token must be a restore token');
        return { ...(await restoreOfToken(core, t, token)), token };
      });
    },
    async createPreview(input, versionId) {
      const t = await target(input);
      const { preview, diff } = await createPreview(core, t, id(versionId, 'versionId'));
      return { preview, diff, connectionUri: await previewConnectionUri(core, t, preview.id) };
    },
    listPreviews: async (input) => listPreviews(core, await target(input)),
    previewConnectionUri: async (input, previewId) =>
      previewConnectionUri(core, await target(input), id(previewId, 'previewId')),
    promotePreview: (input, previewId) =>
      run(input, (t) => promotePreview(core, t, id(previewId, 'previewId'))),
    discardPreview: async (input, previewId) =>
      discardPreview(core, await target(input), id(previewId, 'previewId')),
  };
}
