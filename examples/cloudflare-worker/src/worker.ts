// Rewind as a Cloudflare Worker. Versions live in a Neon database of their own, reached with
// Neon's serverless driver over HTTP; a restore outlives its response through the execution
// context's `waitUntil`. The Neon API key and connection strings stay in the Worker's secrets.
import { neon, neonConfig } from '@neondatabase/serverless';
import { createRewind, sqlStore } from '@rewind/server';
import type { ExecutionContext } from 'hono';

export interface Env {
  NEON_API_KEY: string;
  REWIND_SECRET: string;
  REWIND_STORE_URL: string;
  REWIND_PROJECT_ID: string;
  /** Local development only: the emulator's API and its SQL-over-HTTP endpoint. */
  NEON_API_HOST?: string;
  NEON_SQL_ENDPOINT?: string;
}

function setup(env: Env) {
  const endpoint = env.NEON_SQL_ENDPOINT;
  if (endpoint) neonConfig.fetchEndpoint = () => endpoint;
  const sql = neon(env.REWIND_STORE_URL, { fullResults: true });
  const store = sqlStore(async (text, params) => {
    const result = await sql.query(text, (params ?? []) as unknown[]);
    return { rows: result.rows as Record<string, unknown>[] };
  });
  const rewind = createRewind({
    neon: { apiKey: env.NEON_API_KEY, ...(env.NEON_API_HOST ? { baseURL: env.NEON_API_HOST } : {}) },
    store,
    secret: env.REWIND_SECRET,
    // A platform answers from its session (null answers 401); this demo has one tenant.
    resolveProject: () => ({ projectId: env.REWIND_PROJECT_ID }),
    // The default, spelled out: the Worker stays alive until the restore's job has finished,
    // even when the browser closes its progress stream.
    waitUntil: (job, c) => c.executionCtx.waitUntil(job),
  });
  return { rewind, ready: store.migrate() };
}

// One per isolate: env is the same for every request a deployed isolate serves.
let app: ReturnType<typeof setup> | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    app ??= setup(env);
    const current = app;
    await current.ready.catch((error: unknown) => {
      if (app === current) app = undefined; // the next request tries again
      throw error;
    });
    return current.rewind.fetch(request, env, ctx);
  },
};
