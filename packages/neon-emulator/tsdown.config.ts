import { defineConfig } from 'tsdown';

export default defineConfig({
  // The branch worker is an entry of its own, beside the chunks: `BranchThread` starts
  // `./branch-worker.js` relative to itself.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'branch-worker': 'src/data/branch-worker.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Declaration maps too: the `.d.ts` files name them, and they lead editors into `src/`.
  dts: { sourcemap: true },
  sourcemap: true,
  clean: true,
  fixedExtension: false,
});
