// Cloudflare Workers adapter: the whole thing is `app.fetch`.
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

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}
