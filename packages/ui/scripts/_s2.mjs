import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ext = process.argv.slice(2);
const r = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  conditions: ['@rewind/source'],
  external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query', ...ext],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'silent',
  jsx: 'automatic',
});
console.log(
  ext.join(' ') || '-',
  r.outputFiles[0].contents.length,
  gzipSync(r.outputFiles[0].contents, { level: 9 }).length,
);
