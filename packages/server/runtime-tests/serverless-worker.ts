// A Cloudflare Worker that keeps Rewind's version metadata in a Neon database, reached with
// Neon's serverless driver over HTTP (`neon()`), as a platform on Workers would: here the
// database is an emulator branch and the driver's fetch endpoint points at the emulator's `/sql`.
import { neon, neonConfig } from '@neondatabase/serverless';
import type { ExecutionContext } from 'hono';
import { sqlStore } from '../src/index';
import { rewindApp } from './app';

interface Env {
  NEON_BASE_URL: string;
  METADATA_DATABASE_URL: string;
  SQL_ENDPOINT: string;
}

let app: ReturnType<typeof rewindApp> | undefined;
let migrated: Promise<void> | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // The driver's documented local-development setting: where SQL over HTTP goes.
    neonConfig.fetchEndpoint = () => env.SQL_ENDPOINT;
    const sql = neon(env.METADATA_DATABASE_URL, { fullResults: true });
    const store = sqlStore(async (text, params) => {
      const result = await sql.query(text, (params ?? []) as unknown[]);
      return { rows: result.rows as Record<string, unknown>[] };
    });
    migrated ??= store.migrate();
    await migrated;
    app ??= rewindApp(env.NEON_BASE_URL, store);
    return app.fetch(request, env, ctx);
  },
};
