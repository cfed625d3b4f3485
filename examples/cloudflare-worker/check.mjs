// The example's check, run by scripts/check-packed.mjs once the Worker is installed from the
// packed tarballs and the emulator CLI is up (NEON_API_HOST, REWIND_PROJECT_ID, DATABASE_URL:
// the tenant's database, REWIND_STORE_URL: the metadata database). It serves the Worker with
// `wrangler dev` (workerd, locally), versions the tenant's database through it, restores the
// first version, the client dropping the progress stream after its first event, and checks that
// the restore finished anyway, the data over the unchanged connection string, and the versions
// in the metadata database (written over Neon's serverless driver).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { env, freePort, poll, saveVersion, sql } from './check-support.mjs';

const databaseUrl = env('DATABASE_URL');
const storeUrl = env('REWIND_STORE_URL');
const neonHost = env('NEON_API_HOST');

// Local secrets, as `wrangler dev` reads them (a deployed Worker gets them from `wrangler secret`).
writeFileSync(
  '.dev.vars',
  [
    'NEON_API_KEY=example-neon-api-key',
    'REWIND_SECRET=example-secret-at-least-32-characters-long',
    `REWIND_STORE_URL=${storeUrl}`,
    `REWIND_PROJECT_ID=${env('REWIND_PROJECT_ID')}`,
    `NEON_API_HOST=${neonHost}`,
    `NEON_SQL_ENDPOINT=${neonHost.replace(/\/api\/v2\/?$/, '/sql')}`,
  ].join('\n'),
);

const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const wrangler = spawn(
  'node_modules/.bin/wrangler',
  ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false'],
  { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
try {
  await poll('wrangler dev answers', async () => (await fetch(`${origin}/versions`)).ok, 120_000);

  const save = (label) => saveVersion(`${origin}/versions`, label);
  await sql(databaseUrl, `CREATE TABLE todos (title text); INSERT INTO todos VALUES ('ship it')`);
  const v1 = await save('v1: todos');
  await sql(databaseUrl, `UPDATE todos SET title = 'broken'`);
  await save('v2: broken');

  // Restore v1 and leave after the first event, as a closed tab would.
  const restore = await fetch(`${origin}/versions/${v1.id}/restore`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (restore.status !== 200 || !restore.headers.get('content-type')?.startsWith('text/event-stream'))
    throw new Error(`the restore answered ${restore.status} ${restore.headers.get('content-type')}`);
  const reader = restore.body.pipeThrough(new TextDecoderStream()).getReader();
  let seen = '';
  while (!seen.includes('event: restore.started')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before restore.started: ${seen}`);
    seen += value;
  }
  await reader.cancel();

  const listed = await poll('the restore finishes after the client left', async () => {
    const list = await (await fetch(`${origin}/versions`)).json();
    return list.activeRestore === null && list.currentVersionId === v1.id ? list : undefined;
  });
  if (listed.restores[0]?.versionId !== v1.id)
    throw new Error(`restores: ${JSON.stringify(listed.restores)}`);
  if (JSON.stringify(listed).match(/postgres(ql)?:\/\//))
    throw new Error('a connection string left the Worker');

  const [todo] = await sql(databaseUrl, 'SELECT title FROM todos');
  if (todo?.title !== 'ship it') throw new Error(`after the restore the data is ${JSON.stringify(todo)}`);
  const labels = (await sql(storeUrl, 'SELECT label FROM rewind_versions')).map((r) => r.label);
  if (!labels.includes('v1: todos') || !labels.includes('v2: broken'))
    throw new Error(`the metadata database holds ${JSON.stringify(labels)}`);
  console.log(
    'cloudflare-worker: served by wrangler dev, restored with the stream dropped; data and store agree',
  );
} finally {
  wrangler.kill('SIGTERM');
}
