import { type CreatePreviewResponse, type Preview, RewindError, type SchemaDiff } from '@rewind/protocol';
import { Hono } from 'hono';
import { type Core, newId, type RewindEnv, settle, withLock } from '../core';
import type { Branch } from '../neon/neon-client';
import type { ProjectTarget } from '../restore/restore-job';
import { deleteOrRemember } from '../restore/restore-job';
import { summarizeSchemaDiff } from '../restore/schema-diff';
import type { StoredPreview, StoredVersion } from '../stores/store';
import { startRestore } from './restores';

function toWirePreview(preview: StoredPreview): Preview {
  return {
    id: preview.id,
    versionId: preview.versionId,
    createdAt: preview.createdAt,
    expiresAt: preview.expiresAt,
    state: 'ready',
  };
}

/**
 * Materialize a version in a new branch (restore with finalize_restore: false) and diff its
 * schema against the live branch. Runs under the project lock; on failure the branch is deleted.
 */
async function openPreviewBranch(
  core: Core,
  target: ProjectTarget,
  version: StoredVersion,
  name: string,
): Promise<{ branch: Branch; live: Branch; diff: SchemaDiff }> {
  const live = await core.neon.findBranchByName(target.projectId, target.branchName);
  if (!live)
    throw new RewindError('not_found', `Live branch "${target.branchName}" not found in the project`);
  const restored = await core.neon.restoreSnapshot(target.projectId, version.snapshotId, {
    target_branch_id: live.id,
    finalize_restore: false,
    name,
  });
  try {
    await settle(core, target.projectId, restored.operations);
    // "What to apply to live to get this version": a restored root branch has no parent, so
    // the base must be given explicitly (neon-api.md §2.11).
    const text = await core.neon.compareSchema(
      target.projectId,
      restored.branch.id,
      live.id,
      target.databaseName,
    );
    return { branch: restored.branch, live, diff: summarizeSchemaDiff(text) };
  } catch (error) {
    await deleteOrRemember(core.job, target.projectId, restored.branch.id);
    throw error;
  }
}

async function versionOrThrow(core: Core, projectId: string, id: string): Promise<StoredVersion> {
  const version = await core.store.getVersion(projectId, id);
  if (!version) throw new RewindError('not_found', 'No such version');
  return version;
}

export function previewRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  /** Schema diff of a version against live, through a throwaway preview branch. */
  app.get('/versions/:id/diff', async (c) => {
    const target = c.get('target');
    const version = await versionOrThrow(core, target.projectId, c.req.param('id'));
    return withLock(core, target, async () => {
      const opened = await openPreviewBranch(core, target, version, `rewind-diff-${newId()}`);
      await settle(
        core,
        target.projectId,
        await core.neon.deleteBranch(target.projectId, opened.branch.id),
      ).catch(() => deleteOrRemember(core.job, target.projectId, opened.branch.id));
      return c.json({ diff: opened.diff });
    });
  });

  app.post('/versions/:id/preview', async (c) => {
    const target = c.get('target');
    const version = await versionOrThrow(core, target.projectId, c.req.param('id'));
    return withLock(core, target, async () => {
      const id = newId();
      const opened = await openPreviewBranch(core, target, version, `rewind-preview-${id}`);
      const now = Date.now();
      const preview: StoredPreview = {
        id,
        projectId: target.projectId,
        versionId: version.id,
        branchId: opened.branch.id,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + (core.options.previewTtlMs ?? 30 * 60_000)).toISOString(),
      };
      await core.store.putPreview(preview);
      const hook = core.options.hooks?.onPreviewReady;
      if (hook) {
        // Server-side only: the connection string goes to the platform's hook, never the response.
        const connectionUri = await core.neon.connectionUri(
          target.projectId,
          opened.branch.id,
          target.databaseName,
          target.roleName,
        );
        await Promise.resolve(hook({ projectId: target.projectId, preview, connectionUri })).catch(
          () => undefined,
        );
      }
      const body: CreatePreviewResponse = { preview: toWirePreview(preview), diff: opened.diff };
      return c.json(body, 201);
    });
  });

  app.get('/previews', async (c) => {
    const { projectId } = c.get('target');
    const previews = await core.store.listPreviews(projectId);
    return c.json({ previews: previews.map(toWirePreview) });
  });

  app.post('/previews/:id/promote', async (c) => {
    const { projectId } = c.get('target');
    const preview = await core.store.getPreview(projectId, c.req.param('id'));
    if (!preview) throw new RewindError('not_found', 'No such preview');
    const version = await versionOrThrow(core, projectId, preview.versionId);
    return startRestore(c, core, version, { undoable: true, preview });
  });

  app.delete('/previews/:id', async (c) => {
    const target = c.get('target');
    const { projectId } = target;
    return withLock(core, target, async () => {
      const preview = await core.store.getPreview(projectId, c.req.param('id'));
      if (!preview) throw new RewindError('not_found', 'No such preview');
      await settle(core, projectId, await core.neon.deleteBranch(projectId, preview.branchId));
      await core.store.deletePreview(projectId, preview.id);
      return c.body(null, 204);
    });
  });

  return app;
}
