import { getRequestListener } from '@hono/node-server';
import type { Plugin } from 'vite';
import { createPlaygroundApi, type PlaygroundApi, type PlaygroundOptions } from './playground-api.ts';

/** Serves the playground API from the Vite dev server: one process, one command. */
export function playgroundApi(
  options: PlaygroundOptions & { onReady?: (api: PlaygroundApi) => void } = {},
): Plugin {
  let api: PlaygroundApi | undefined;
  return {
    name: 'rewind-playground-api',
    async configureServer(server) {
      api = await createPlaygroundApi(options);
      options.onReady?.(api);
      const listener = getRequestListener((request) => (api as PlaygroundApi).fetch(request));
      server.middlewares.use((req, res, next) => {
        if (req.url?.startsWith('/api/')) void listener(req, res);
        else next();
      });
      server.httpServer?.once('listening', () => {
        const mode = options.neon ? `Neon project ${options.neon.projectId}` : 'the embedded Neon emulator';
        setTimeout(
          () => server.config.logger.info(`\n  Rewind playground on ${mode}: open the Local URL above.\n`),
          50,
        );
      });
    },
    async buildEnd() {
      await api?.close();
    },
  };
}
