import type { VersionChangesResponse, VersionDiffResponse } from '@rewind/protocol';
import { Hono } from 'hono';
import type { Core, RewindEnv } from '../core';
import {
  createPreview,
  diffVersion,
  discardPreview,
  listPreviews,
  promotePreview,
  restoreUndoable,
  versionChanges,
} from '../service/previews';
import { keepAlive, streamStarted } from './restores';

export function previewRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  // POST, not GET: for a version without a stored schema it creates (and deletes) a Neon branch,
  // which a HEAD, a prefetch or a refetch-on-focus must never do.
  app.post('/versions/:id/diff', async (c) => {
    const [diff, undoable] = await Promise.all([
      diffVersion(core, c.get('target'), c.req.param('id')),
      restoreUndoable(core, c.get('target'), c.req.param('id')),
    ]);
    return c.json({ diff, undoable } satisfies VersionDiffResponse);
  });

  // Read-only and store-only (the two stored schemas): a GET, cacheable by the browser's client.
  app.get('/versions/:id/changes', async (c) =>
    c.json({
      changes: await versionChanges(core, c.get('target'), c.req.param('id')),
    } satisfies VersionChangesResponse),
  );

  app.post('/versions/:id/preview', async (c) => {
    const { preview, diff } = await createPreview(core, c.get('target'), c.req.param('id'));
    return c.json({ preview, diff }, 201);
  });

  app.get('/previews', async (c) => c.json({ previews: await listPreviews(core, c.get('target')) }));

  app.post('/previews/:id/promote', async (c) =>
    streamStarted(
      c,
      core,
      await promotePreview(core, c.get('target'), c.req.param('id'), keepAlive(core, c)),
    ),
  );

  app.delete('/previews/:id', async (c) => {
    await discardPreview(core, c.get('target'), c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
