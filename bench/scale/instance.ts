// One Rewind handler of the platform-scale simulation: its own process, on the shared PostgreSQL
// store. Copied into a git worktree to run an older commit's code the same way (it only uses
// options every release has; newer ones are ignored by older code).
import { serve } from '@hono/node-server';
import { createRewind, sqlStore } from '@rewind/server';
import pg from 'pg';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const pool = new pg.Pool({ connectionString: env('SCALE_STORE_URL'), max: 10 });
pool.on('error', () => undefined);
const store = sqlStore((text, params) => pool.query(text, params));
await store.migrate();
const app = createRewind({
  neon: { apiKey: 'scale', baseURL: env('SCALE_NEON_URL') },
  store,
  secret: 'scale-secret-that-is-long-enough-0123456789',
  resolveProject: (c) => {
    const projectId = c.req.header('x-project');
    return projectId ? { projectId } : null;
  },
  onError: (error, context) => {
    if (process.env.SCALE_VERBOSE) console.error(JSON.stringify(context), String(error));
  },
});
serve({ fetch: app.fetch, port: Number(env('SCALE_PORT')), hostname: '127.0.0.1' }, () =>
  console.log('ready'),
);
