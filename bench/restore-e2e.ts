// What the user feels, side by side in one run with the emulator's realistic operation durations
// (its defaults; rate limits off): time from the client's restore call to "restored" for Neon's
// restore chain alone (the physical limit), the reference demo's 5 s poller, a 1 s poller, and
// Rewind (default: undo point after the swap; and `undoPoint: 'before-restore'`, the order before
// issue 13); when Undo becomes available; and the confirm dialog (`POST /versions/:id/diff`): its
// time, its Neon requests and the branches it creates, from a stored schema and through a branch.
// Run: pnpm --filter @rewind/bench bench:e2e   (RESTORES=6 by default)
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import type { RestoreEvent } from '@rewind/protocol';
import { createRewind, memoryStore, type RewindOptions } from '@rewind/server';
import { RewindClient } from '@rewind/ui';
import { query } from './support';

const RESTORES = Number(process.env.RESTORES ?? 6);
const neon = await createNeonEmulator({ rateLimits: false });
const now = () => performance.now();

// Every Neon request and every branch creation per project, counted at the fetch boundary.
const requests = new Map<string, number>();
const creates = new Map<string, number>();
const countingFetch = (async (input: Request | string | URL, init?: RequestInit) => {
  const request = input instanceof Request ? input : new Request(String(input), init);
  const url = new URL(request.url);
  const project = url.pathname.match(/\/projects\/([^/]+)/)?.[1];
  if (project) {
    requests.set(project, (requests.get(project) ?? 0) + 1);
    const method = request.method;
    if (method === 'POST' && /\/(branches|restore)$/.test(url.pathname))
      creates.set(project, (creates.get(project) ?? 0) + 1);
  }
  return neon.fetch(input, init);
}) as typeof fetch;
const api = createApiClient({
  apiKey: 'bench',
  baseURL: neon.baseURL,
  adapter: 'fetch',
  env: { fetch: neon.fetch },
});

const TERMINAL = ['finished', 'skipped', 'cancelled', 'error'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newProject(name: string) {
  const { data } = await api.createProject({ project: { name } });
  await neon.settled(data.project.id);
  const uri = data.connection_uris[0]?.connection_uri as string;
  await query(
    uri,
    `CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts VALUES (1, 'Ada')`,
  );
  return { projectId: data.project.id, branchId: data.branch.id, uri };
}

/** Restore via the API, then poll every returned operation at `intervalMs` until all are terminal. */
async function pollerRestores(name: string, intervalMs: number): Promise<number[]> {
  const { projectId } = await newProject(name);
  const live = async () =>
    (await api.listProjectBranches({ projectId })).data.branches.find((b) => b.name === 'main')?.id as string;
  const snap = await api.createSnapshot({ projectId, branchId: await live(), name: 's' });
  await neon.settled(projectId);
  const samples: number[] = [];
  for (let i = 0; i < RESTORES; i++) {
    const target = await live();
    const start = now();
    const { data } = await api.restoreSnapshot(
      { projectId, snapshotId: snap.data.snapshot.id },
      { target_branch_id: target, finalize_restore: true },
    );
    await Promise.all(
      data.operations.map(async (op) => {
        for (;;) {
          await sleep(intervalMs);
          if (TERMINAL.includes((await api.getProjectOperation(projectId, op.id)).data.operation.status))
            return;
        }
      }),
    );
    samples.push(now() - start);
    // Not timed: the "(old)" branch goes, so the root-branch limit never stops the run.
    await neon.settled(projectId);
    await api.deleteProjectBranch({ projectId, branchId: target });
    await neon.settled(projectId);
  }
  return samples;
}

interface RewindSample {
  restored: number;
  undoAvailable: number | null;
  done: number;
  requests: number;
}

function rewindApp(projectId: string, options: Partial<RewindOptions> = {}) {
  const app = createRewind({
    neon: { apiKey: 'bench', baseURL: neon.baseURL, fetch: countingFetch },
    store: memoryStore(),
    secret: 'bench-secret-0123456789abcdef0123456789',
    resolveProject: () => ({ projectId }),
    ...options,
  });
  const client = new RewindClient({
    url: 'http://rewind.local',
    fetch: ((input: string, init?: RequestInit) => app.request(input, init)) as typeof fetch,
  });
  const create = async (label: string) =>
    (
      (await (
        await app.request('/versions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ label }),
        })
      ).json()) as { version: { id: string } }
    ).version.id;
  return { app, client, create };
}

async function rewindRestores(name: string, options: Partial<RewindOptions> = {}): Promise<RewindSample[]> {
  const { projectId, uri } = await newProject(name);
  const { client, create } = rewindApp(projectId, options);
  const v1 = await create('v1');
  await query(uri, `ALTER TABLE contacts ADD COLUMN company text`);
  const v2 = await create('v2');
  await neon.settled(projectId);
  const samples: RewindSample[] = [];
  for (let i = 0; i < RESTORES; i++) {
    const target = i % 2 === 0 ? v1 : v2;
    const before = requests.get(projectId) ?? 0;
    const start = now();
    let restored = 0;
    let undoAvailable: number | null = null;
    await client.restore(
      target,
      {},
      {
        onEvent: (event: RestoreEvent) => {
          if (event.event === 'restore.finalized') restored = now() - start;
          if (event.event === 'restore.undo-available') undoAvailable = now() - start;
        },
      },
    );
    samples.push({
      restored,
      undoAvailable,
      done: now() - start,
      requests: (requests.get(projectId) ?? 0) - before,
    });
    await neon.settled(projectId);
  }
  return samples;
}

interface DiffSample {
  ms: number;
  requests: number;
  branches: number;
}

/** The confirm dialog's diff, for a version with a stored schema or (`stored: false`) without. */
async function confirmDiffs(name: string, stored: boolean): Promise<DiffSample[]> {
  const { projectId, branchId, uri } = await newProject(name);
  const { app, create } = rewindApp(projectId);
  // Without a stored schema: this branch's schema read at creation fails, as when Neon would not
  // answer it (only this project's branch: the other flows run meanwhile).
  const path = `/branches/${branchId}/schema`;
  if (!stored) neon.faults.set({ http: [{ status: 500, method: 'GET', path, times: 50 }] });
  const v1 = await create('v1');
  if (!stored) neon.faults.set({ http: [] });
  await query(uri, `ALTER TABLE contacts ADD COLUMN company text; CREATE TABLE notes (body text)`);
  await create('v2');
  await neon.settled(projectId);
  const samples: DiffSample[] = [];
  for (let i = 0; i < RESTORES; i++) {
    const before = requests.get(projectId) ?? 0;
    const branchesBefore = creates.get(projectId) ?? 0;
    const start = now();
    const response = await app.request(`/versions/${v1}/diff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    if (!response.ok) throw new Error(`diff answered ${response.status}`);
    await response.json();
    samples.push({
      ms: now() - start,
      requests: (requests.get(projectId) ?? 0) - before,
      branches: (creates.get(projectId) ?? 0) - branchesBefore,
    });
    await neon.settled(projectId);
  }
  return samples;
}

const p50 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(0.5 * (sorted.length - 1))] as number;
};
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

console.log(
  `# Restore end to end — ${new Date().toISOString()}, ${RESTORES} restores per flow, realistic durations`,
);
// Side by side: every flow runs at once, on its own project, so machine noise hits all alike.
const [chain, five, one, rewind, undoFirst, storedDiff, branchDiff] = await Promise.all([
  pollerRestores('chain', 100),
  pollerRestores('demo-5s', 5_000),
  pollerRestores('poll-1s', 1_000),
  rewindRestores('rewind'),
  rewindRestores('rewind-undo-first', { undoPoint: 'before-restore' }),
  confirmDiffs('diff-stored', true),
  confirmDiffs('diff-branch', false),
]);
console.log(
  '\n| flow | p50 click → restored | p50 undo available after restored | p50 stream end | Neon requests per restore: mean (each, in order) |',
);
console.log('| --- | --- | --- | --- | --- |');
console.log(`| Neon's restore chain alone (polled every 100 ms) | ${s(p50(chain))} | | | |`);
console.log(`| the reference demo (each operation polled every 5 s) | ${s(p50(five))} | | | |`);
console.log(`| a 1 s poller | ${s(p50(one))} | | | |`);
for (const [label, samples] of [
  ['Rewind, default (undo point after the swap)', rewind],
  ["Rewind, `undoPoint: 'before-restore'` (the order before issue 13)", undoFirst],
] as const) {
  const undo = samples.flatMap((x) => (x.undoAvailable === null ? [] : [x.undoAvailable - x.restored]));
  console.log(
    `| ${label} | ${s(p50(samples.map((x) => x.restored)))} | ${undo.length ? (p50(undo) < 0 ? `before (${s(-p50(undo))} earlier)` : s(p50(undo))) : 'n/a'} | ${s(p50(samples.map((x) => x.done)))} | ${mean(samples.map((x) => x.requests)).toFixed(1)} (${samples.map((x) => x.requests).join(', ')}) |`,
  );
}
console.log('\n| confirm dialog (`POST /versions/:id/diff`) | p50 | Neon requests | branches created |');
console.log('| --- | --- | --- | --- |');
for (const [label, samples] of [
  ['from the stored schema (default)', storedDiff],
  ['through a branch (a version without a stored schema)', branchDiff],
] as const) {
  console.log(
    `| ${label} | ${p50(samples.map((x) => x.ms)).toFixed(0)} ms | ${mean(samples.map((x) => x.requests)).toFixed(1)} | ${mean(samples.map((x) => x.branches)).toFixed(1)} |`,
  );
}
const gap = p50(rewind.map((x) => x.restored)) - p50(chain);
console.log(
  `\nRewind default − Neon chain: ${gap.toFixed(0)} ms (target ≤ 250 ms). Undo-first costs ${s(p50(undoFirst.map((x) => x.restored)) - p50(rewind.map((x) => x.restored)))} more before "restored".`,
);
console.log(
  'Targets: undo available ≤ 2 s after restored; confirm p50 ≤ 300 ms with ≤ 1 Neon request and 0 branches.',
);
await neon.close();
