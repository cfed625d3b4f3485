import { Hono } from 'hono';
import { badRequest } from '../engine/neon-error';
import { createProject, deleteProject } from '../engine/projects';
import type { World } from '../engine/world';
import { decodeCursor, encodeCursor, intQuery, jsonBody, optionalObject, optionalString } from './input';
import {
  renderBranch,
  renderConnection,
  renderDatabase,
  renderEndpoint,
  renderOperation,
  renderProject,
  renderProjectListItem,
  renderRole,
} from './render';

export function projectRoutes(world: World) {
  const app = new Hono();

  app.get('/projects', (c) => {
    const limit = intQuery(c, 'limit', 1, 400, 10);
    const offset = decodeCursor(c.req.query('cursor'));
    const search = c.req.query('search');
    const all = world.state.projects.filter(
      (p) => !search || p.id.includes(search) || p.name.includes(search),
    );
    const page = all.slice(offset, offset + limit);
    return c.json({
      projects: page.map(renderProjectListItem),
      pagination: { cursor: encodeCursor(offset + page.length) },
      applications: {},
      integrations: {},
    });
  });

  // Projects other accounts shared with this one: the emulator has one account, so none. neonctl's
  // `projects list` asks for them next to the account's own (commands/projects.ts).
  app.get('/projects/shared', (c) => {
    intQuery(c, 'limit', 1, 400, 10);
    return c.json({ projects: [], pagination: { cursor: encodeCursor(0) } });
  });

  app.post('/projects', async (c) => {
    const body = await jsonBody(c, true);
    const project = optionalObject(body, 'project', '');
    if (!project) throw badRequest('project is required');
    const branch = optionalObject(project, 'branch', 'project.') ?? {};
    const pgVersion = project.pg_version;
    if (
      pgVersion !== undefined &&
      (typeof pgVersion !== 'number' || ![14, 15, 16, 17, 18].includes(pgVersion))
    ) {
      throw badRequest('project.pg_version must be one of 14, 15, 16, 17, 18');
    }
    const created = await createProject(world, {
      name: optionalString(project, 'name', 'project.'),
      region_id: optionalString(project, 'region_id', 'project.'),
      pg_version: pgVersion as number | undefined,
      branch_name: optionalString(branch, 'name', 'project.branch.'),
      database_name: optionalString(branch, 'database_name', 'project.branch.'),
      role_name: optionalString(branch, 'role_name', 'project.branch.'),
    });
    const { project: p, branch: b, endpoint } = created;
    return c.json(
      {
        project: renderProject(p),
        connection_uris: [renderConnection(world, p, endpoint)],
        roles: [renderRole(p, b.id)],
        databases: [renderDatabase(p, b.id)],
        operations: created.operations.map(renderOperation),
        branch: renderBranch(b),
        endpoints: [renderEndpoint(world, endpoint)],
      },
      201,
    );
  });

  app.get('/projects/:project_id', (c) =>
    c.json({ project: renderProject(world.project(c.req.param('project_id'))) }),
  );

  app.delete('/projects/:project_id', async (c) => {
    const project = await deleteProject(world, c.req.param('project_id'));
    return c.json({ project: renderProject(project) });
  });

  return app;
}
