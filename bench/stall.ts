// The longest event-loop stall while the emulator takes a snapshot, restores it, and opens a
// preview of it (with its schema diff), branch databases on the event loop vs in worker threads,
// side by side in one run. A stall is what every other request, SSE stream and lease renewal
// served by the same process waits for: the gap between 5 ms timer ticks, less the 5 ms.
// Run: pnpm --filter @rewind/bench bench:stall   (DATA_MB=16 by default)
import { cpus, totalmem } from 'node:os';
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { query, settle } from './support';

const DATA_MB = Number(process.env.DATA_MB ?? 16);

function stallMonitor() {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 5);
    last = now;
  }, 5);
  return {
    reset() {
      last = performance.now();
      max = 0;
    },
    get max() {
      return max;
    },
    stop: () => clearInterval(timer),
  };
}

async function run(databaseThreads: boolean) {
  const neon = await createNeonEmulator({ operationDurationMs: 0, rateLimits: false, databaseThreads });
  const api = createApiClient({
    apiKey: 'bench',
    baseURL: neon.baseURL,
    adapter: 'fetch',
    env: { fetch: neon.fetch },
  });
  try {
    const { data } = await api.createProject({ project: { name: 'stall' } });
    const projectId = data.project.id;
    const branchId = data.branch.id;
    const uri = data.connection_uris[0]?.connection_uri as string;
    await settle(api, projectId, data.operations);
    const rows = Math.round((DATA_MB * 1024 * 1024) / 300);
    await query(
      uri,
      `CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS payload FROM generate_series(1, ${rows}) AS g`,
    );
    const monitor = stallMonitor();
    const phases: Record<string, number> = {};
    const phase = async (name: string, work: () => Promise<void>) => {
      monitor.reset();
      await work();
      // A stall that ends the phase shows at the next tick.
      await new Promise((resolve) => setTimeout(resolve, 20));
      phases[name] = monitor.max;
    };
    let snapshotId = '';
    await phase('snapshot', async () => {
      const snap = await api.createSnapshot({ projectId, branchId, name: 'v1' });
      snapshotId = snap.data.snapshot.id;
      await settle(api, projectId, snap.data.operations);
    });
    await query(uri, 'DELETE FROM big WHERE id % 2 = 0');
    await phase('preview + schema diff', async () => {
      const preview = await api.restoreSnapshot(
        { projectId, snapshotId },
        { target_branch_id: branchId, name: 'preview-v1' },
      );
      await settle(api, projectId, preview.data.operations);
      await api.getProjectBranchSchemaComparison({
        projectId,
        branchId: preview.data.branch.id,
        base_branch_id: branchId,
        db_name: 'neondb',
      });
      const deleted = await api.deleteProjectBranch({ projectId, branchId: preview.data.branch.id });
      await settle(api, projectId, deleted.data.operations);
    });
    await phase('restore (finalize)', async () => {
      const restore = await api.restoreSnapshot(
        { projectId, snapshotId },
        { target_branch_id: branchId, finalize_restore: true },
      );
      await settle(api, projectId, restore.data.operations);
      const [{ n }] = (await query(uri, 'SELECT count(*)::int AS n FROM big')) as [{ n: number }];
      if (n !== rows) throw new Error(`restore lost rows: ${n} of ${rows}`);
    });
    monitor.stop();
    return phases;
  } finally {
    await neon.close();
  }
}

console.log(`# Event-loop stall benchmark — ${new Date().toISOString()}, ${DATA_MB} MB of data`);
console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}\n`,
);
const inline = await run(false);
const threads = await run(true);
console.log('| phase | longest stall, on the event loop | longest stall, worker threads | ratio |');
console.log('| --- | --- | --- | --- |');
for (const name of Object.keys(inline)) {
  const a = inline[name] ?? 0;
  const b = threads[name] ?? 0;
  console.log(`| ${name} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(a / Math.max(b, 1)).toFixed(1)}× |`);
}
