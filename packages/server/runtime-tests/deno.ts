// Deno adapter: Deno.serve with the app's fetch.
import { rewindApp } from './app';

declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

const app = rewindApp(Deno.env.get('NEON_BASE_URL') as string);
Deno.serve(
  { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) },
  app.fetch,
);
