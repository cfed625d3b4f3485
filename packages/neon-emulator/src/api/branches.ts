import { Hono } from 'hono';
import { diffSchemas } from '../data/pg-dump-schema';
import { createBranch, deleteBranch } from '../engine/branches';
import { badRequest, NeonError, notFound } from '../engine/neon-error';
import { finalizeRestore, pointInTimeRestore } from '../engine/restore';
import type { World } from '../engine/world';
import {
  decodeCursor,
  encodeCursor,
  enumQuery,
  intQuery,
  jsonBody,
  optionalBoolean,
  optionalObject,
  optionalString,
} from './input';
import {
  renderAnnotation,
  renderBranch,
  renderConnection,
  renderDatabase,
  renderEndpoint,
  renderOperation,
  renderRole,
} from './render';

function stringMap(value: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const entries = Object.entries(value);
  if (entries.length > 50) throw badRequest('annotation_value may have at most 50 properties');
  for (const [key, v] of entries)
    if (typeof v !== 'string') throw badRequest(`annotation_value.${key} must be a string`);
  return value as Record<string, string>;
}

export function branchRoutes(world: World) {
  const app = new Hono();

  app.get('/projects/:project_id/branches', (c) => {
    const projectId = c.req.param('project_id');
    world.project(projectId);
    const sortBy = enumQuery(c, 'sort_by', ['name', 'created_at', 'updated_at'] as const, 'updated_at');
    const sortOrder = enumQuery(c, 'sort_order', ['asc', 'desc'] as const, 'desc');
    const limit = intQuery(c, 'limit', 1, 10_000, 10_000);
    const offset = decodeCursor(c.req.query('cursor'));
    const search = c.req.query('search');
    const sign = sortOrder === 'asc' ? 1 : -1;
    const includeDeleted = c.req.query('include_deleted') === 'true';
    const deleted = includeDeleted
      ? (world.state.deletedBranches ?? []).filter(
          (b) => b.project_id === projectId && Date.parse(b.recovery.recoverable_until) > world.now(),
        )
      : [];
    const all = [...world.branchesForRead(projectId), ...deleted]
      .filter((b) => !search || b.name.includes(search) || b.id.includes(search))
      .sort((a, b) => sign * (a[sortBy].localeCompare(b[sortBy]) || a.id.localeCompare(b.id)));
    const page = all.slice(offset, offset + limit);
    // Lower case, as the spec's example (`"sort_order": "desc"`).
    const pagination: Record<string, string> = { sort_by: sortBy, sort_order: sortOrder };
    if (offset + page.length < all.length) pagination.next = encodeCursor(offset + page.length);
    const annotations = Object.fromEntries(
      page.filter((b) => b.annotation).map((b) => [b.id, renderAnnotation(b)]),
    );
    const rendered = page.map((b) =>
      'recovery' in b ? { ...renderBranch(b), recovery: b.recovery } : renderBranch(b),
    );
    return c.json({ branches: rendered, annotations, pagination });
  });

  app.post('/projects/:project_id/branches', async (c) => {
    const projectId = c.req.param('project_id');
    const body = await jsonBody(c);
    const branch = optionalObject(body, 'branch', '') ?? {};
    const endpointsInput = body.endpoints;
    if (endpointsInput !== undefined && !Array.isArray(endpointsInput))
      throw badRequest('endpoints must be an array');
    for (const endpoint of endpointsInput ?? []) {
      const type = (endpoint as Record<string, unknown> | null)?.type;
      if (type !== 'read_write') throw badRequest('endpoints[].type must be read_write');
    }
    if ((endpointsInput?.length ?? 0) > 1)
      throw badRequest('a branch can have at most one read_write endpoint');
    const created = await createBranch(world, projectId, {
      name: optionalString(branch, 'name', 'branch.'),
      parent_id: optionalString(branch, 'parent_id', 'branch.'),
      protected: optionalBoolean(branch, 'protected', 'branch.'),
      endpoint: (endpointsInput?.length ?? 0) > 0,
      annotation: stringMap(optionalObject(body, 'annotation_value', '')),
    });
    const project = world.project(projectId);
    return c.json(
      {
        branch: renderBranch(created.branch),
        endpoints: created.endpoints.map((e) => renderEndpoint(world, e)),
        operations: created.operations.map(renderOperation),
        roles: [renderRole(project, created.branch.id)],
        databases: [renderDatabase(project, created.branch.id)],
        connection_uris: created.endpoints.map((e) => renderConnection(world, project, e)),
      },
      201,
    );
  });

  app.get('/projects/:project_id/branches/:branch_id', (c) => {
    const projectId = c.req.param('project_id');
    const live = world.branch(projectId, c.req.param('branch_id'));
    const branch = world.branchesForRead(projectId).find((b) => b.id === live.id) ?? live;
    // Read-after-create lag, as Neon's own test harness has to retry (neon-api.md §5.11).
    if (world.now() - branch.created_ms < world.faults.current.newBranchLagMs)
      throw notFound('branch', branch.id);
    return c.json({ branch: renderBranch(branch), annotation: renderAnnotation(branch) });
  });

  app.delete('/projects/:project_id/branches/:branch_id', async (c) => {
    const deleted = await deleteBranch(world, c.req.param('project_id'), c.req.param('branch_id'));
    if (!deleted) return c.body(null, 204);
    return c.json({
      branch: renderBranch(deleted.branch),
      operations: deleted.operations.map(renderOperation),
    });
  });

  app.post('/projects/:project_id/branches/:branch_id/finalize_restore', async (c) => {
    const body = await jsonBody(c);
    const operations = finalizeRestore(
      world,
      c.req.param('project_id'),
      c.req.param('branch_id'),
      optionalString(body, 'name', ''),
    );
    return c.json({ operations: operations.map(renderOperation) });
  });

  app.post('/projects/:project_id/branches/:branch_id/restore', async (c) => {
    const body = await jsonBody(c, true);
    if (typeof body.source_branch_id !== 'string') throw badRequest('source_branch_id is required');
    return pointInTimeRestore(world, c.req.param('project_id'), c.req.param('branch_id'));
  });

  app.get('/projects/:project_id/branches/:branch_id/endpoints', (c) => {
    const branch = world.branch(c.req.param('project_id'), c.req.param('branch_id'));
    return c.json({
      endpoints: world.endpointsOf(branch.project_id, branch.id).map((e) => renderEndpoint(world, e)),
    });
  });

  // Both read the database at the branch's head: the emulator keeps no WAL history, so a point in
  // time (`lsn`, `timestamp`) is refused with a 422 rather than answered with today's schema.
  const readSchema = (projectId: string, branchId: string, dbName: string | undefined) => {
    const project = world.project(projectId);
    const branch = world.branch(projectId, branchId);
    if (!dbName) throw badRequest('db_name is required');
    if (dbName !== project.database_name) throw notFound('database', dbName);
    if (branch.current_state !== 'ready') throw new NeonError(422, 'branch not ready yet');
    return world.data.schemaOf(branch.id, project.role_name);
  };
  const refusePointInTime = (query: (key: string) => string | undefined, keys: string[]) => {
    for (const pair of [keys.slice(0, 2), keys.slice(2)]) {
      if (pair.length === 2 && pair.every((key) => query(key) !== undefined)) {
        throw badRequest(`${pair[0]} and ${pair[1]} are mutually exclusive`);
      }
    }
    for (const key of keys) {
      if (query(key) !== undefined) {
        throw new NeonError(422, `${key} is not supported by the emulator (it keeps no WAL history)`);
      }
    }
  };

  app.get('/projects/:project_id/branches/:branch_id/schema', async (c) => {
    // A point in time the emulator can answer: the branch's head, named by its lsn (what a
    // snapshot just taken records). Neon answers any lsn in the history window.
    const lsn = c.req.query('lsn');
    if (lsn !== undefined && c.req.query('timestamp') === undefined) {
      const branch = world.branch(c.req.param('project_id'), c.req.param('branch_id'));
      const head = await world.data.headLsn(branch.id);
      if (head.toUpperCase() !== lsn.toUpperCase())
        throw new NeonError(422, `lsn ${lsn} is not the branch head: the emulator keeps no WAL history`);
      return c.json({
        sql: await readSchema(c.req.param('project_id'), branch.id, c.req.query('db_name')),
      });
    }
    refusePointInTime((key) => c.req.query(key), ['lsn', 'timestamp']);
    const format = c.req.query('format') ?? 'sql';
    if (format !== 'sql') throw new NeonError(422, `format "${format}" is not supported by the emulator`);
    const sql = await readSchema(c.req.param('project_id'), c.req.param('branch_id'), c.req.query('db_name'));
    return c.json({ sql });
  });

  app.get('/projects/:project_id/branches/:branch_id/compare_schema', async (c) => {
    const projectId = c.req.param('project_id');
    const branch = world.branch(projectId, c.req.param('branch_id'));
    const dbName = c.req.query('db_name');
    refusePointInTime((key) => c.req.query(key), ['lsn', 'timestamp', 'base_lsn', 'base_timestamp']);
    const baseId = c.req.query('base_branch_id') ?? branch.parent_id;
    if (!baseId) throw badRequest('base_branch_id is required for a root branch');
    const [baseSchema, branchSchema] = await Promise.all([
      readSchema(projectId, baseId, dbName),
      readSchema(projectId, branch.id, dbName),
    ]);
    return c.json({ diff: diffSchemas(dbName as string, baseSchema, branchSchema) });
  });

  return app;
}
