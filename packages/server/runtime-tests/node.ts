// Node adapter: @hono/node-server.
import { serve } from '@hono/node-server';
import { rewindApp } from './app';

export function startNode(neonBaseURL: string): Promise<{ url: string; close: () => Promise<void> }> {
  const app = rewindApp(neonBaseURL);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}
