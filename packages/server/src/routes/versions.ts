import { sValidator } from '@hono/standard-validator';
import { type ListVersionsResponse, RewindError } from '@rewind/protocol';
import { Hono } from 'hono';
import * as v from 'valibot';
import { activeRestore, type Core, newId, type RewindEnv, settle, toWire, withLock } from '../core';
import type { StoredVersion } from '../stores/store';
import { failValidation } from './validation';

const JsonValue: v.GenericSchema<unknown> = v.lazy(() =>
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.array(JsonValue),
    v.record(v.string(), JsonValue),
  ]),
);
const Label = v.pipe(v.string(), v.trim(), v.minLength(1, 'label must not be empty'), v.maxLength(200));
const IsoTime = v.pipe(v.string(), v.isoTimestamp('expiresAt must be an ISO 8601 timestamp'));

const CreateVersion = v.strictObject({
  label: Label,
  prompt: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(20_000)))),
  codeRef: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(500)))),
  parentId: v.optional(v.nullable(v.string())),
  expiresAt: v.optional(v.nullable(IsoTime)),
  metadata: v.optional(v.record(v.string(), JsonValue)),
});
const RenameVersion = v.strictObject({ label: Label });
const IdempotencyKey = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export function versionRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  app.get('/versions', async (c) => {
    const target = c.get('target');
    const { projectId, branchName } = target;
    const read = () =>
      Promise.all([
        core.neon.findBranchByName(projectId, branchName),
        core.neon.listSnapshots(projectId),
        core.store.listVersions(projectId),
        core.store.getProjectState(projectId),
        core.store.getLock(projectId),
      ]);
    let [live, snapshots, stored, state, lock] = await read();
    if (state.pendingRestores.length > 0 && !lock) {
      // A restore left unsettled by an instance that died (its intent remains, nobody holds the
      // project): settle it first, so the list never shows a current version Neon contradicts.
      await withLock(core, target, async () => undefined).catch(() => undefined);
      [live, snapshots, stored, state, lock] = await read();
    }
    if (!live) throw new RewindError('not_found', `Live branch "${branchName}" not found in the project`);
    // Neon deletes expired snapshots on its own: drop metadata that no longer has data, so the
    // list never offers a version that cannot be restored. Only when no mutation is running,
    // because a version's snapshot appears in Neon before its metadata is written.
    const existing = new Set(snapshots.map((s) => s.id));
    const versions = stored.filter((version) => existing.has(version.snapshotId));
    if (!lock && versions.length !== stored.length) {
      for (const gone of stored.filter((version) => !existing.has(version.snapshotId))) {
        await core.store.deleteVersion(projectId, gone.id);
      }
    }
    const body: ListVersionsResponse = {
      versions: versions.map((version) => toWire(version, state.currentVersionId)),
      currentVersionId: state.currentVersionId,
      liveBranch: { id: live.id, name: live.name },
      activeRestore: lock ? activeRestore(lock) : null,
    };
    return c.json(body);
  });

  app.post(
    '/versions',
    sValidator('json', CreateVersion, failValidation),
    sValidator('header', v.object({ 'idempotency-key': v.optional(IdempotencyKey) }), failValidation),
    async (c) => {
      const target = c.get('target');
      const { projectId, branchName } = target;
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const replay = async () => {
        const existingId = key ? await core.store.getIdempotencyKey(projectId, key) : null;
        const existing = existingId ? await core.store.getVersion(projectId, existingId) : null;
        if (!existing) return null;
        const state = await core.store.getProjectState(projectId);
        return c.json({ version: toWire(existing, state.currentVersionId) }, 200);
      };
      const replayed = await replay();
      if (replayed) return replayed;

      return withLock(core, target, async () => {
        // A retry that waited for the first attempt's lock finds its result here.
        const replayedInLock = await replay();
        if (replayedInLock) return replayedInLock;
        const state = await core.store.getProjectState(projectId);
        if (body.parentId && !(await core.store.getVersion(projectId, body.parentId))) {
          throw new RewindError('not_found', `Parent version ${body.parentId} does not exist`);
        }
        const live = await core.neon.findBranchByName(projectId, branchName);
        if (!live) throw new RewindError('not_found', `Live branch "${branchName}" not found in the project`);
        const id = newId();
        const expiresAt = body.expiresAt ? new Date(body.expiresAt).toISOString() : null;
        if (expiresAt && Date.parse(expiresAt) <= Date.now()) {
          throw new RewindError('bad_request', 'expiresAt must be in the future');
        }
        const created = await core.neon.createSnapshot(projectId, live.id, {
          name: `rewind-${id}`,
          expires_at: expiresAt ? `${expiresAt.slice(0, 19)}Z` : undefined,
        });
        try {
          await settle(core, projectId, created.operations);
        } catch (error) {
          // Never keep a snapshot Rewind has no metadata for.
          await core.neon.deleteSnapshot(projectId, created.snapshot.id).catch(() => undefined);
          throw error;
        }
        const version: StoredVersion = {
          id,
          projectId,
          label: body.label,
          prompt: body.prompt ?? null,
          codeRef: body.codeRef ?? null,
          parentId: body.parentId ?? state.currentVersionId,
          snapshotId: created.snapshot.id,
          kind: 'manual',
          createdAt: new Date().toISOString(),
          expiresAt,
          metadata: (body.metadata ?? {}) as StoredVersion['metadata'],
        };
        await core.store.insertVersion(version);
        if (key) await core.store.putIdempotencyKey(projectId, key, id);
        // The live database is exactly this version now; later versions fork from it.
        await core.store.updateProjectState(projectId, { currentVersionId: id });
        await Promise.resolve(core.options.hooks?.onVersionCreated?.({ projectId, version })).catch(
          () => undefined,
        );
        return c.json({ version: toWire(version, id) }, 201);
      });
    },
  );

  app.patch('/versions/:id', sValidator('json', RenameVersion, failValidation), async (c) => {
    const { projectId } = c.get('target');
    const renamed = await core.store.renameVersion(projectId, c.req.param('id'), c.req.valid('json').label);
    if (!renamed) throw new RewindError('not_found', 'No such version');
    const state = await core.store.getProjectState(projectId);
    return c.json({ version: toWire(renamed, state.currentVersionId) });
  });

  app.delete('/versions/:id', async (c) => {
    const target = c.get('target');
    const { projectId } = target;
    const id = c.req.param('id');
    return withLock(core, target, async () => {
      const version = await core.store.getVersion(projectId, id);
      if (!version) throw new RewindError('not_found', 'No such version');
      try {
        await settle(core, projectId, await core.neon.deleteSnapshot(projectId, version.snapshotId));
      } catch (error) {
        // Already gone from Neon (expired): only the metadata is left to delete.
        if (!(RewindError.is(error) && error.code === 'not_found')) throw error;
      }
      await core.store.deleteVersion(projectId, id);
      const state = await core.store.getProjectState(projectId);
      const patch: Partial<typeof state> = {};
      if (state.currentVersionId === id) patch.currentVersionId = null;
      if (state.undoVersionId === id) patch.undoVersionId = null;
      if (Object.keys(patch).length > 0) await core.store.updateProjectState(projectId, patch);
      return c.body(null, 204);
    });
  });

  return app;
}
