import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Declaration maps too: the `.d.ts` files name them, and they lead editors into `src/`.
  dts: { sourcemap: true },
  sourcemap: true,
  clean: true,
  fixedExtension: false,
});
