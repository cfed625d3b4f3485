import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'browser',
  dts: true,
  sourcemap: true,
  clean: true,
  fixedExtension: false,
  // Keep the 'use client' directive at the top of the bundle for React Server Components hosts.
  outputOptions: { banner: "'use client';" },
});
