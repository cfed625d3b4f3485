import { Hono } from 'hono';
import { badRequest } from '../engine/neon-error';
import { restoreSnapshot } from '../engine/restore';
import { createSnapshot, deleteSnapshot, updateSnapshot } from '../engine/snapshots';
import type { World } from '../engine/world';
import { jsonBody, optionalBoolean, optionalObject, optionalString } from './input';
import { renderBranch, renderEndpoint, renderOperation, renderSnapshot } from './render';

export function snapshotRoutes(world: World) {
  const app = new Hono();

  app.post('/projects/:project_id/branches/:branch_id/snapshot', async (c) => {
    // Query parameters only: a JSON body is ignored, exactly as Neon does.
    const created = await createSnapshot(world, c.req.param('project_id'), c.req.param('branch_id'), {
      name: c.req.query('name'),
      expires_at: c.req.query('expires_at'),
      lsn: c.req.query('lsn'),
      timestamp: c.req.query('timestamp'),
    });
    return c.json({
      snapshot: renderSnapshot(created.snapshot),
      operations: created.operations.map(renderOperation),
    });
  });

  app.get('/projects/:project_id/snapshots', (c) => {
    const projectId = c.req.param('project_id');
    world.project(projectId);
    return c.json({ snapshots: world.snapshotsOf(projectId).map(renderSnapshot) });
  });

  app.patch('/projects/:project_id/snapshots/:snapshot_id', async (c) => {
    const body = await jsonBody(c, true);
    const snapshot = optionalObject(body, 'snapshot', '');
    if (!snapshot) throw badRequest('snapshot is required');
    const name = optionalString(snapshot, 'name', 'snapshot.');
    const expires = snapshot.expires_at;
    if (expires !== undefined && expires !== null && typeof expires !== 'string')
      throw badRequest('snapshot.expires_at must be a timestamp or null');
    const updated = updateSnapshot(world, c.req.param('project_id'), c.req.param('snapshot_id'), {
      name,
      expires_at: expires as string | null | undefined,
    });
    return c.json({ snapshot: renderSnapshot(updated) });
  });

  app.delete('/projects/:project_id/snapshots/:snapshot_id', (c) => {
    const operations = deleteSnapshot(world, c.req.param('project_id'), c.req.param('snapshot_id'));
    return c.json({ operations: operations.map(renderOperation) }, 202);
  });

  app.post('/projects/:project_id/snapshots/:snapshot_id/restore', async (c) => {
    const body = await jsonBody(c);
    const result = await restoreSnapshot(world, c.req.param('project_id'), c.req.param('snapshot_id'), {
      // The deprecated query `name` is still honoured when the body has none.
      name: optionalString(body, 'name', '') ?? c.req.query('name'),
      target_branch_id: optionalString(body, 'target_branch_id', ''),
      finalize_restore: optionalBoolean(body, 'finalize_restore', ''),
    });
    return c.json({
      branch: renderBranch(result.branch),
      endpoints: result.endpoints.map((e) => renderEndpoint(world, e)),
      operations: result.operations.map(renderOperation),
    });
  });

  return app;
}
