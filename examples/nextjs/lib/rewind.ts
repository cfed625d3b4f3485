// Rewind's handler for this app, set up once per server process on first use (the
// environment is read at request time, not at `next build`). The Neon API key, the store's
// connection string and the tenant's project stay here, on the server.
import { createRewind, sqlStore } from '@rewind/server';
import { after } from 'next/server';
import pg from 'pg';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see README.md)`);
  return value;
}

function setup() {
  // Versions live in a Postgres database of their own, never in the tenant's: a restore
  // replaces the tenant's data.
  const pool = new pg.Pool({ connectionString: env('REWIND_STORE_URL'), max: 5 });
  const store = sqlStore((text, params) => pool.query(text, params as unknown[]));
  const rewind = createRewind({
    basePath: '/api/rewind',
    neon: { apiKey: env('NEON_API_KEY'), baseURL: process.env.NEON_API_HOST },
    store,
    secret: env('REWIND_SECRET'),
    // A platform answers from its session (null answers 401); this demo has one tenant.
    resolveProject: () => ({ projectId: env('REWIND_PROJECT_ID') }),
    // Next route handlers get no `waitUntil`: `after` keeps a restore running once its
    // response (the progress stream) has ended, e.g. when the user closes the tab.
    waitUntil: (job) => after(job),
  });
  // Migrations are numbered and safe from several processes at once.
  return { rewind, ready: store.migrate() };
}

let app: ReturnType<typeof setup> | undefined;

/** The one route handler: every method under /api/rewind. */
export async function handle(request: Request): Promise<Response> {
  app ??= setup();
  const current = app;
  await current.ready.catch((error: unknown) => {
    if (app === current) app = undefined; // the next request tries again
    throw error;
  });
  return current.rewind.fetch(request);
}
