import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { playgroundApi } from './server/vite-plugin.ts';

// `pnpm dev`: the emulator (data in .emulator-data/), the Rewind handler and the app, one command.
// With NEON_API_KEY and NEON_PROJECT_ID set, the same app runs against real Neon instead.
const real = process.env.NEON_API_KEY && process.env.NEON_PROJECT_ID;

export default defineConfig({
  plugins: [
    react(),
    playgroundApi(
      real
        ? {
            neon: {
              apiKey: process.env.NEON_API_KEY as string,
              projectId: process.env.NEON_PROJECT_ID as string,
            },
          }
        : { dataDir: join(import.meta.dirname, '.emulator-data') },
    ),
  ],
  resolve: { conditions: ['@rewind/source'] },
  ssr: { resolve: { conditions: ['@rewind/source'] } },
});
