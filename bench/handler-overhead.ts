// Handler overhead: listing versions through the handler against calling the emulator's list
// snapshots directly (both in process, no network): throughput ratio and added p99 latency.
// Run: pnpm --filter @rewind/bench bench:overhead   (REQUESTS=2000 by default)
import { createNeonEmulator } from '@rewind/neon-emulator';
import { createRewind, memoryStore } from '@rewind/server';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const neon = await createNeonEmulator({ operationDurationMs: 0, rateLimits: false });
const headers = { authorization: 'Bearer b', 'content-type': 'application/json' };
const { project } = (await (
  await neon.fetch(`${neon.baseURL}/projects`, {
    method: 'POST',
    headers,
    body: '{"project":{"name":"overhead"}}',
  })
).json()) as { project: { id: string } };
await neon.settled(project.id);
const app = createRewind({
  neon: { apiKey: 'b', baseURL: neon.baseURL, fetch: neon.fetch as typeof fetch },
  store: memoryStore(),
  secret: 'overhead-secret-0123456789abcdef0123456789',
  resolveProject: () => ({ projectId: project.id }),
});
for (let i = 0; i < 10; i++) {
  const response = await app.request('/versions', {
    method: 'POST',
    headers,
    body: JSON.stringify({ label: `v${i}` }),
  });
  if (response.status !== 201) throw new Error(`create failed: ${response.status}`);
}

async function measure(run: () => Promise<Response>) {
  for (let i = 0; i < 100; i++) await (await run()).arrayBuffer(); // warm-up
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const response = await run();
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: REQUESTS / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)] as number,
    p99: latencies[Math.floor(latencies.length * 0.99)] as number,
  };
}

const direct = await measure(() =>
  neon.fetch(`${neon.baseURL}/projects/${project.id}/snapshots`, { headers }),
);
const handler = await measure(() => Promise.resolve(app.request('/versions')));
console.log(`# Handler overhead — ${new Date().toISOString()}, ${REQUESTS} sequential requests each`);
console.log('\n| path | requests/s | p50 | p99 |');
console.log('| --- | --- | --- | --- |');
console.log(
  `| emulator GET /snapshots directly | ${direct.rps.toFixed(0)} | ${direct.p50.toFixed(2)} ms | ${direct.p99.toFixed(2)} ms |`,
);
console.log(
  `| handler GET /versions | ${handler.rps.toFixed(0)} | ${handler.p50.toFixed(2)} ms | ${handler.p99.toFixed(2)} ms |`,
);
console.log(
  `\nthroughput ratio handler/direct: ${(handler.rps / direct.rps).toFixed(2)}; added p99: ${(handler.p99 - direct.p99).toFixed(2)} ms` +
    ' (GET /versions makes two Neon calls — live branch and snapshots — plus store reads).',
);
await neon.close();
