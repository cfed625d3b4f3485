import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const r = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  conditions: ['@rewind/source'],
  external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query'],
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'silent',
  jsx: 'automatic',
});
const f = r.outputFiles[0];
console.log('all in one', (gzipSync(f.contents, { level: 9 }).length / 1024).toFixed(2));
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
for (const [k, v] of rows) console.log(v.bytesInOutput, k);
