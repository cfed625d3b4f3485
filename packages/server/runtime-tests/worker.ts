// Cloudflare Workers adapter: the whole thing is `app.fetch`.
import type { ExecutionContext } from 'hono';
import { rewindApp } from './app';

interface Env {
  NEON_BASE_URL: string;
}

let app: ReturnType<typeof rewindApp> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    app ??= rewindApp(env.NEON_BASE_URL);
    return app.fetch(request, env, ctx);
  },
};
