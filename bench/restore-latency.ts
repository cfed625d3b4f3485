// Restore notification latency: from the moment the emulator's last operation of a restore
// finishes to the moment the client learns the restore succeeded, side by side in one run:
// Rewind (handler + SSE), a fixed 5 s per-operation poller (Neon's reference demo) and a fixed
// 1 s poller. Also Neon API requests per restore. Operation durations are drawn from a spread.
// Run: pnpm --filter @rewind/bench bench:latency   (RESTORES=50 by default)
import { createApiClient, type Operation } from '@neondatabase/api-client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { createRewind, memoryStore } from '@rewind/server';
import { RewindClient } from '@rewind/ui';

const RESTORES = Number(process.env.RESTORES ?? 50);
const BASE_MS: Record<string, number> = {
  timeline_unarchive: 600,
  create_branch: 1_200,
  suspend_compute: 500,
  start_compute: 1_500,
  delete_timeline: 600,
  create_timeline: 900,
};
// Log-normal-ish spread around each action's typical duration (0.4×–2.5×).
const spread = (action: string) =>
  Math.round((BASE_MS[action] ?? 500) * Math.exp((Math.random() - 0.4) * 1.8));

// When each operation last finished, from the emulator itself (ms precision).
const finishedAt = new Map<string, number>();
const neon = await createNeonEmulator({
  operationDurationMs: spread,
  rateLimits: false,
  onOperation: (op, at) => {
    if (op.status === 'finished' || op.status === 'skipped') finishedAt.set(op.id, at);
  },
});

// Every Neon request of a project, counted at the fetch boundary.
const requests = new Map<string, number>();
const countingFetch = (async (input: Request | string | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const project = url.pathname.match(/\/projects\/([^/]+)/)?.[1];
  if (project) requests.set(project, (requests.get(project) ?? 0) + 1);
  return neon.fetch(input, init);
}) as typeof fetch;
const api = createApiClient({
  apiKey: 'bench',
  baseURL: neon.baseURL,
  adapter: 'fetch',
  env: { fetch: countingFetch },
});

async function newProject(name: string) {
  const { data } = await api.createProject({ project: { name } });
  await neon.settled(data.project.id);
  const snap = await api.createSnapshot({ projectId: data.project.id, branchId: data.branch.id, name: 's' });
  await neon.settled(data.project.id);
  return { projectId: data.project.id, snapshotId: snap.data.snapshot.id };
}

interface Sample {
  latencyMs: number;
  requests: number;
}

/** The operations created on a project since `since`, from the emulator's list (not counted). */
async function opsSince(projectId: string, since: Set<string>): Promise<string[]> {
  const response = await neon.fetch(`${neon.baseURL}/projects/${projectId}/operations?limit=100`, {
    headers: { authorization: 'Bearer bench' },
  });
  const { operations } = (await response.json()) as { operations: Operation[] };
  return operations.map((op) => op.id).filter((id) => !since.has(id));
}

async function knownOps(projectId: string) {
  return new Set(await opsSince(projectId, new Set()));
}

async function rewindStrategy(): Promise<Sample[]> {
  const { projectId } = await newProject('rewind');
  const app = createRewind({
    neon: { apiKey: 'bench', baseURL: neon.baseURL, fetch: countingFetch },
    store: memoryStore(),
    secret: 'bench-secret-0123456789abcdef0123456789',
    resolveProject: () => ({ projectId }),
  });
  const client = new RewindClient({
    url: 'http://rewind.local',
    fetch: ((input: string, init?: RequestInit) => app.request(input, init)) as typeof fetch,
  });
  const { version } = (await (
    await app.request('/versions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"label":"bench"}',
    })
  ).json()) as { version: { id: string } };
  await neon.settled(projectId);
  const samples: Sample[] = [];
  for (let i = 0; i < RESTORES; i++) {
    const before = await knownOps(projectId);
    const startRequests = requests.get(projectId) ?? 0;
    let reportedAt = 0;
    await client.restore(
      version.id,
      { undoable: false },
      {
        onEvent: (event) => {
          if (event.event === 'restore.succeeded') reportedAt = performance.timeOrigin + performance.now();
        },
      },
    );
    const ops = await opsSince(projectId, before);
    const lastFinish = Math.max(...ops.map((id) => finishedAt.get(id) ?? 0));
    samples.push({
      latencyMs: reportedAt - lastFinish,
      requests: (requests.get(projectId) ?? 0) - startRequests,
    });
    await neon.settled(projectId);
  }
  return samples;
}

/** The reference demo's approach: restore, then poll every returned operation at a fixed interval. */
async function fixedPoller(intervalMs: number): Promise<Sample[]> {
  const { projectId, snapshotId } = await newProject(`fixed-${intervalMs}`);
  const samples: Sample[] = [];
  for (let i = 0; i < RESTORES; i++) {
    const startRequests = requests.get(projectId) ?? 0;
    const live = (await api.listProjectBranches({ projectId })).data.branches.find((b) => b.name === 'main');
    const { data } = await api.restoreSnapshot(
      { projectId, snapshotId },
      { target_branch_id: live?.id as string, finalize_restore: true },
    );
    await Promise.all(
      data.operations.map(async (op) => {
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
          const current = (await api.getProjectOperation(projectId, op.id)).data.operation;
          if (['finished', 'skipped', 'cancelled', 'error'].includes(current.status)) return;
        }
      }),
    );
    const reportedAt = performance.timeOrigin + performance.now();
    const lastFinish = Math.max(...data.operations.map((op) => finishedAt.get(op.id) ?? 0));
    samples.push({
      latencyMs: reportedAt - lastFinish,
      requests: (requests.get(projectId) ?? 0) - startRequests,
    });
    // Keep the project within the root-branch limit, as Rewind's cleanup does (not timed).
    await neon.settled(projectId);
    await api.deleteProjectBranch({ projectId, branchId: live?.id as string });
    await neon.settled(projectId);
  }
  return samples;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

console.log(
  `# Restore notification latency — ${new Date().toISOString()}, ${RESTORES} restores per strategy`,
);
const [rewind, five, one] = await Promise.all([rewindStrategy(), fixedPoller(5_000), fixedPoller(1_000)]);
console.log('\n| strategy | p50 latency | p95 latency | Neon requests per restore (mean) |');
console.log('| --- | --- | --- | --- |');
for (const [name, samples] of [
  ['Rewind (adaptive, list-based, SSE)', rewind],
  ['fixed 5 s per operation (reference demo)', five],
  ['fixed 1 s per operation', one],
] as const) {
  const latencies = samples.map((s) => s.latencyMs);
  const meanRequests = samples.reduce((sum, s) => sum + s.requests, 0) / samples.length;
  console.log(
    `| ${name} | ${quantile(latencies, 0.5).toFixed(0)} ms | ${quantile(latencies, 0.95).toFixed(0)} ms | ${meanRequests.toFixed(1)} |`,
  );
}
const p50 = (s: Sample[]) =>
  quantile(
    s.map((x) => x.latencyMs),
    0.5,
  );
console.log(
  `\nRewind p50 is ${(p50(five) / p50(rewind)).toFixed(1)}× faster than the 5 s poller and ${(p50(one) / p50(rewind)).toFixed(1)}× faster than the 1 s poller.`,
);
console.log('Targets: p50 < 250 ms, p95 < 600 ms, at most 1 Neon request per second per active restore.');
await neon.close();
