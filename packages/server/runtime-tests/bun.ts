// Bun adapter: Bun.serve with the app's fetch. Bun closes streams idle for 10 s by default;
// the handler's heartbeats (every few seconds) keep SSE alive, and idleTimeout adds margin.
import { rewindApp } from './app';

declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): {
    port: number;
  };
};

const app = rewindApp(Bun.env.NEON_BASE_URL as string);
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 60, fetch: app.fetch });
console.log(`listening ${server.port}`);
