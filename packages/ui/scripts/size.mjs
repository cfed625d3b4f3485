// The kit's size as users pay it: the built package, minified, its own dependencies bundled,
// peers (react, react-dom, @tanstack/react-query) excluded, gzipped; as an app's production
// build sees it. The budget applies to what every page loads; the virtualizer is a separate
// chunk that loads only for histories long enough to need it, and is printed on its own.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// 12 kB until the timeline gained restore events (issue 15: +0.6 kB); raised once, on purpose.
const BUDGET = 13 * 1024;
// The virtualizer is pinned (newer @tanstack/virtual-core releases are about twice the size):
// a bump that makes it grow fails the build too, instead of slipping in through the lazy chunk.
const LAZY_BUDGET = 5 * 1024;
const result = await build({
  entryPoints: ['dist/index.js'],
  bundle: true,
  splitting: true,
  outdir: 'size-check',
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query'],
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'silent',
});
const kb = (n) => `${(n / 1024).toFixed(2)} kB`;
let entry = 0;
let lazy = 0;
for (const file of result.outputFiles) {
  const gzipped = gzipSync(file.contents, { level: 9 }).length;
  const meta =
    result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => file.path.endsWith(k)) ?? ''];
  if (meta?.entryPoint === 'dist/index.js') entry += gzipped;
  else lazy += gzipped;
}
console.log(
  `@rewind/ui: ${kb(entry)} min+gzip loaded by every page (budget ${kb(BUDGET)}, peers excluded); ` +
    `+ ${kb(lazy)} virtualization chunk (budget ${kb(LAZY_BUDGET)}), loaded only for histories over 100 versions`,
);
if (entry > BUDGET || lazy > LAZY_BUDGET) {
  console.error(
    `@rewind/ui is over its size budget: ${kb(entry)} of ${kb(BUDGET)} per page, ` +
      `${kb(lazy)} of ${kb(LAZY_BUDGET)} for the virtualizer`,
  );
  process.exit(1);
}
