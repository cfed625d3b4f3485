import { Hono } from 'hono';
import { notFound } from '../engine/neon-error';
import type { World } from '../engine/world';
import { renderDatabase, renderRole } from './render';

/**
 * A branch's databases and roles. The emulator has one of each per project (Neon's defaults,
 * `neondb` / `neondb_owner`); neonctl's `connection-string` lists both before it builds a URI
 * (neondatabase/neon-pkgs, neonctl `commands/connection_string.ts`), and reads the role's password
 * with `reveal_password`. Lists never carry passwords (the spec marks them `x-sensitive`; only a
 * create response does).
 */
export function databaseRoutes(world: World) {
  const app = new Hono();
  const branchOf = (projectId: string, branchId: string) => {
    const project = world.project(projectId);
    return { project, branch: world.branch(projectId, branchId) };
  };

  app.get('/projects/:project_id/branches/:branch_id/databases', (c) => {
    const { project, branch } = branchOf(c.req.param('project_id'), c.req.param('branch_id'));
    return c.json({ databases: [renderDatabase(project, branch.id)] });
  });

  app.get('/projects/:project_id/branches/:branch_id/databases/:database_name', (c) => {
    const { project, branch } = branchOf(c.req.param('project_id'), c.req.param('branch_id'));
    if (c.req.param('database_name') !== project.database_name) throw notFound('database', '');
    return c.json({ database: renderDatabase(project, branch.id) });
  });

  app.get('/projects/:project_id/branches/:branch_id/roles', (c) => {
    const { project, branch } = branchOf(c.req.param('project_id'), c.req.param('branch_id'));
    const { password: _hidden, ...role } = renderRole(project, branch.id);
    return c.json({ roles: [role] });
  });

  app.get('/projects/:project_id/branches/:branch_id/roles/:role_name', (c) => {
    const { project, branch } = branchOf(c.req.param('project_id'), c.req.param('branch_id'));
    if (c.req.param('role_name') !== project.role_name) throw notFound('role', '');
    const { password: _hidden, ...role } = renderRole(project, branch.id);
    return c.json({ role });
  });

  app.get('/projects/:project_id/branches/:branch_id/roles/:role_name/reveal_password', (c) => {
    const { project } = branchOf(c.req.param('project_id'), c.req.param('branch_id'));
    if (c.req.param('role_name') !== project.role_name) throw notFound('role', '');
    return c.json({ password: project.role_password });
  });

  return app;
}
