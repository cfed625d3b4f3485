import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'browser',
  // Declaration maps too: the `.d.ts` files name them, and they lead editors into `src/`.
  dts: { sourcemap: true },
  sourcemap: true,
  clean: true,
  fixedExtension: false,
  // Keep the 'use client' directive at the top of the JavaScript for React Server Components
  // hosts; never in declaration files (TS1036 for a consumer with `skipLibCheck: false`).
  outputOptions: { banner: (chunk) => (chunk.fileName.endsWith('.d.ts') ? '' : "'use client';") },
});
