// Sizes, in one run: @rewind/ui (min+gzip, peers excluded), the handler as a Cloudflare Worker
// bundle (min+gzip), @uploadthing/react's button + dropzone and @liveblocks/react-ui's version
// list, each bundled the same way (production, minified, React and their peers external).
// Run: pnpm --filter @rewind/bench bench:sizes   (after `pnpm build`)

import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const REACT = ['react', 'react-dom', 'react/jsx-runtime', 'react-dom/client'];

async function measure(
  name: string,
  contents: string,
  external: string[],
  options: { conditions?: string[]; platform?: 'browser' | 'neutral' } = {},
) {
  const result = await build({
    stdin: { contents, resolveDir: import.meta.dirname, loader: 'tsx' },
    bundle: true,
    minify: true,
    write: false,
    splitting: false,
    format: 'esm',
    platform: options.platform ?? 'browser',
    conditions: options.conditions ?? [],
    external,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]?.contents as Uint8Array;
  return { name, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (n: number) => `${(n / 1024).toFixed(2)} kB`;
const rows = [
  await measure(
    '@rewind/ui (VersionTimeline + RestoreButton + VersionPreview + hooks, virtualizer included)',
    `export * from '${join(root, 'packages/ui/dist/index.js')}';`,
    [...REACT, '@tanstack/react-query'],
  ),
  await measure(
    '@rewind/server as a Cloudflare Worker (handler + api-client + hono + valibot)',
    `export { default } from '${join(root, 'packages/server/runtime-tests/worker.ts')}';`,
    [],
    { conditions: ['@rewind/source', 'worker', 'browser'] },
  ),
  await measure(
    '@uploadthing/react (UploadButton + UploadDropzone)',
    `export { UploadButton, UploadDropzone } from '@uploadthing/react';`,
    [...REACT, 'next', 'uploadthing', 'uploadthing/*'],
  ),
  await measure(
    '@liveblocks/react-ui version list (HistoryVersionSummaryList + HistoryVersionSummary)',
    `export { HistoryVersionSummaryList, HistoryVersionSummary } from '@liveblocks/react-ui';`,
    [...REACT, '@liveblocks/react', '@liveblocks/client', '@liveblocks/core', '@liveblocks/react/_private'],
  ),
];
console.log(`# Sizes — ${new Date().toISOString()}`);
console.log('\n| bundle | min | min+gzip |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(`| ${row.name} | ${kb(row.min)} | ${kb(row.gzip)} |`);
console.log(
  '\n(@rewind/ui here is every chunk together; a page with fewer than 100 versions loads the entry only: see the UI build output.)',
);
