import { Hono } from 'hono';
import { badRequest, notFound } from '../engine/neon-error';
import type { World } from '../engine/world';
import { boolQuery, decodeCursor, encodeCursor, intQuery } from './input';
import { connectionUri, renderEndpoint, renderOperation } from './render';

export function operationRoutes(world: World) {
  const app = new Hono();

  app.get('/projects/:project_id/operations', (c) => {
    const projectId = c.req.param('project_id');
    world.project(projectId);
    const limit = intQuery(c, 'limit', 1, 1000, 10);
    const offset = decodeCursor(c.req.query('cursor'));
    // Newest first, as Neon lists them.
    // Fault `operationsListLagMs`: the list has not caught up with the newest operations yet.
    const lag = world.faults.current.operationsListLagMs;
    const now = world.now();
    const all = world.state.operations
      .filter((op) => op.project_id === projectId)
      .filter((op) => lag <= 0 || now - (world.runner.createdMs.get(op.id) ?? 0) >= lag)
      .reverse();
    const page = all.slice(offset, offset + limit);
    return c.json({
      operations: page.map(renderOperation),
      pagination: { cursor: encodeCursor(offset + page.length) },
    });
  });

  app.get('/projects/:project_id/operations/:operation_id', (c) => {
    const projectId = c.req.param('project_id');
    world.project(projectId);
    const id = c.req.param('operation_id');
    const operation = world.state.operations.find((op) => op.project_id === projectId && op.id === id);
    if (!operation) throw notFound('operation', id);
    return c.json({ operation: renderOperation(operation) });
  });

  app.get('/projects/:project_id/endpoints', (c) => {
    const projectId = c.req.param('project_id');
    world.project(projectId);
    return c.json({ endpoints: world.endpointsOf(projectId).map((e) => renderEndpoint(world, e)) });
  });

  app.get('/projects/:project_id/connection_uri', (c) => {
    const project = world.project(c.req.param('project_id'));
    const database = c.req.query('database_name');
    const role = c.req.query('role_name');
    if (!database) throw badRequest('database_name is required');
    if (!role) throw badRequest('role_name is required');
    if (database !== project.database_name) throw notFound('database', database);
    if (role !== project.role_name) throw notFound('role', role);
    const pooled = boolQuery(c, 'pooled') === true;
    const branchId = c.req.query('branch_id') ?? world.branchesOf(project.id).find((b) => b.default)?.id;
    if (!branchId) throw notFound('branch', 'default');
    const branch = world.branch(project.id, branchId);
    const endpointId = c.req.query('endpoint_id');
    const endpoint = world
      .endpointsOf(project.id, branch.id)
      .find((e) => (endpointId ? e.id === endpointId : e.type === 'read_write'));
    if (!endpoint) throw notFound('endpoint', endpointId ?? `read_write endpoint of ${branch.id}`);
    return c.json({ uri: connectionUri(world, project, endpoint, pooled) });
  });

  return app;
}
