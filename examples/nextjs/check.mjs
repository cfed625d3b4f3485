// The example's check, run by scripts/check-packed.mjs once the app is installed from the packed
// tarballs and the emulator CLI is up (NEON_API_HOST, REWIND_PROJECT_ID, DATABASE_URL: the
// tenant's database, REWIND_STORE_URL: the metadata database). It builds the app, serves it
// with `next start`, versions the tenant's database through the app's own route, restores the
// first version from the page in Chromium and checks the data over the unchanged connection
// string, the versions in the SQL store, and that no key or connection string reached the page.
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { env, freePort, poll, saveVersion, sql } from './check-support.mjs';

const databaseUrl = env('DATABASE_URL');
const storeUrl = env('REWIND_STORE_URL');
const apiKey = 'example-neon-api-key';
const children = [];

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

const serverEnv = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  NEON_API_KEY: apiKey,
  REWIND_SECRET: 'example-secret-at-least-32-characters-long',
};

try {
  await run('npx', ['next', 'build'], { env: serverEnv });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = spawn('node_modules/.bin/next', ['start', '-p', String(port), '-H', '127.0.0.1'], {
    stdio: 'inherit',
    env: serverEnv,
  });
  children.push(server);
  await poll('next start answers', async () => (await fetch(`${origin}/api/rewind/versions`)).ok);

  // The agent's two changes, each versioned through the app's route (as a platform's backend would).
  const save = (label) => saveVersion(`${origin}/api/rewind/versions`, label);
  await sql(databaseUrl, `CREATE TABLE todos (title text); INSERT INTO todos VALUES ('ship it')`);
  await save('v1: todos');
  await sql(databaseUrl, `UPDATE todos SET title = 'broken'`);
  await save('v2: broken');

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const leaks = [];
    page.on('response', async (response) => {
      if (!response.url().startsWith(origin)) return;
      if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
      const body = await response.text().catch(() => '');
      if (/postgres(ql)?:\/\//.test(body) || body.includes(apiKey)) leaks.push(response.url());
    });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(origin);
    const timeline = page.getByRole('region', { name: 'Database versions' });
    await timeline.getByRole('button', { name: 'Restore v1: todos', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('status').getByText('Restored “v1: todos”.').waitFor({ timeout: 60_000 });
    const current = await timeline.locator('[aria-current="true"] [data-slot="label"]').textContent();
    if (current !== 'v1: todos') throw new Error(`the timeline marks "${current}" current, not v1`);
    if (leaks.length > 0) throw new Error(`a key or connection string reached the page: ${leaks.join(', ')}`);
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }

  // The tenant's data is v1's again, over the same connection string; the versions are in the store.
  const [todo] = await sql(databaseUrl, 'SELECT title FROM todos');
  if (todo?.title !== 'ship it') throw new Error(`after the restore the data is ${JSON.stringify(todo)}`);
  const labels = (await sql(storeUrl, 'SELECT label FROM rewind_versions ORDER BY created_at')).map(
    (r) => r.label,
  );
  if (!labels.includes('v1: todos') || !labels.includes('v2: broken'))
    throw new Error(`the SQL store holds ${JSON.stringify(labels)}`);
  console.log(
    'nextjs: built, served by next start, restored from the page in Chromium; data and store agree',
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
}
