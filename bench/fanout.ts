// Fan-out: 1,000 concurrent SSE watchers of one restore on one Node process (loopback only).
// Neon requests must not grow with the number of watchers; memory growth is printed.
// Run: pnpm --filter @rewind/bench bench:fanout   (WATCHERS=1000 by default)
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { createRewind, memoryStore } from '@rewind/server';
import { RewindClient } from '@rewind/ui';
import { Agent, setGlobalDispatcher } from 'undici';

const WATCHERS = Number(process.env.WATCHERS ?? 1000);
setGlobalDispatcher(new Agent({ connections: WATCHERS + 10, headersTimeout: 120_000, bodyTimeout: 120_000 }));
const neon = await createNeonEmulator({ operationDurationMs: 1_500, rateLimits: false });
let neonRequests = 0;
const countingFetch = ((input: Request | string | URL, init?: RequestInit) => {
  neonRequests++;
  return neon.fetch(input, init);
}) as typeof fetch;

const project = (await (
  await neon.fetch(`${neon.baseURL}/projects`, {
    method: 'POST',
    headers: { authorization: 'Bearer b', 'content-type': 'application/json' },
    body: '{"project":{"name":"fanout"}}',
  })
).json()) as { project: { id: string } };
await neon.settled(project.project.id);

const app = createRewind({
  neon: { apiKey: 'b', baseURL: neon.baseURL, fetch: countingFetch },
  store: memoryStore(),
  secret: 'fanout-secret-0123456789abcdef0123456789',
  resolveProject: () => ({ projectId: project.project.id }),
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const client = new RewindClient({ url: base });
const version = await client.createVersion({ label: 'fan-out' });
await neon.settled(project.project.id);

async function restoreWith(watchers: number) {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const requestsBefore = neonRequests;
  let token = '';
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const own = client.restore(
    version.id,
    { undoable: false },
    { onEvent: () => undefined, onToken: (t) => (token ||= t) },
  );
  while (!token) await new Promise((resolve) => setTimeout(resolve, 5));
  const followers = Array.from({ length: watchers - 1 }, () =>
    new RewindClient({ url: base }).follow(token, 0, { onEvent: () => undefined }),
  );
  const results = await Promise.all([own, ...followers]);
  clearInterval(sampler);
  const succeeded = results.filter((event) => event?.event === 'restore.succeeded').length;
  await neon.settled(project.project.id);
  return {
    watchers,
    succeeded,
    neonRequests: neonRequests - requestsBefore,
    rssGrowthMb: (peakRss - rssBefore) / 1024 / 1024,
  };
}

console.log(`# Fan-out — ${new Date().toISOString()}`);
const one = await restoreWith(1);
const many = await restoreWith(WATCHERS);
console.log('\n| watchers | saw success | Neon requests for the restore | peak RSS growth |');
console.log('| --- | --- | --- | --- |');
for (const row of [one, many]) {
  console.log(
    `| ${row.watchers} | ${row.succeeded} | ${row.neonRequests} | ${row.rssGrowthMb.toFixed(0)} MB |`,
  );
}
server.close();
await neon.close();
