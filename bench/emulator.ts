// Emulator figures: new-project time, snapshot and restore time against database size
// (1, 16, 64 MB), and the RSS of a project with 20 versions and 5 branches.
// Run: pnpm --filter @rewind/bench bench:emulator
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { query, settle } from './support';

const MB = 1024 * 1024;
// Operations take no artificial time here: these figures are the emulator's own work.
const neon = await createNeonEmulator({ operationDurationMs: 0, rateLimits: false, idleMs: 2_000 });
const api = createApiClient({
  apiKey: 'bench',
  baseURL: neon.baseURL,
  adapter: 'fetch',
  env: { fetch: neon.fetch },
});

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function newProject(name: string) {
  const started = performance.now();
  const { data } = await api.createProject({ project: { name } });
  await settle(api, data.project.id, data.operations);
  return {
    ms: performance.now() - started,
    projectId: data.project.id,
    branchId: data.branch.id,
    uri: data.connection_uris[0]?.connection_uri as string,
  };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`# Emulator benchmark — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
);

// 1. New project ready (template dump, not initdb): first one may build the template cache.
const readyTimes: number[] = [];
for (let i = 0; i < 3; i++) readyTimes.push((await newProject(`ready-${i}`)).ms);
console.log(`\nnew project ready (create + operations settled): ${readyTimes.map(fmt).join(', ')}`);

// 2. Snapshot and restore against size.
console.log(
  '\n| data size | db size on disk | snapshot (call) | snapshot (settled) | snapshot gz | restore finalize (settled) | first read after |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const targetMb of [1, 16, 64]) {
  const project = await newProject(`size-${targetMb}`);
  // ~256 bytes of poorly compressible text per row.
  const rows = Math.round((targetMb * MB) / 300);
  await query(
    project.uri,
    `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
       || md5((g * 37)::text) || md5((g * 41)::text) || md5((g * 43)::text) || md5((g * 47)::text) AS payload
       FROM generate_series(1, ${rows}) AS g`,
  );
  const [{ size }] = (await query(
    project.uri,
    `SELECT pg_database_size(current_database())::bigint AS size`,
  )) as [{ size: string }];
  let started = performance.now();
  const snap = await api.createSnapshot({
    projectId: project.projectId,
    branchId: project.branchId,
    name: `s${targetMb}`,
  });
  const callMs = performance.now() - started;
  await settle(api, project.projectId, snap.data.operations);
  const snapMs = performance.now() - started;
  await query(project.uri, `DELETE FROM big WHERE id % 2 = 0`);
  started = performance.now();
  const restore = await api.restoreSnapshot(
    { projectId: project.projectId, snapshotId: snap.data.snapshot.id },
    { target_branch_id: project.branchId, finalize_restore: true },
  );
  await settle(api, project.projectId, restore.data.operations);
  const restoreMs = performance.now() - started;
  started = performance.now();
  const [{ n }] = (await query(project.uri, `SELECT count(*)::int AS n FROM big`)) as [{ n: number }];
  const readMs = performance.now() - started;
  if (n !== rows) throw new Error(`restore lost rows: ${n} of ${rows}`);
  console.log(
    `| ${targetMb} MB | ${(Number(size) / MB).toFixed(1)} MB | ${fmt(callMs)} | ${fmt(snapMs)} | ${((snap.data.snapshot.full_size ?? 0) / MB).toFixed(1)} MB | ${fmt(restoreMs)} | ${fmt(readMs)} |`,
  );
  await api.deleteProject(project.projectId);
}

// 3. RSS of a project with 20 versions and 5 branches, in a fresh process so that the
// figures above do not weigh on it.
clearInterval(sampler);
await neon.close();
const child = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', '--conditions=@rewind/source', 'emulator-rss.ts'],
  {
    cwd: import.meta.dirname,
    encoding: 'utf8',
  },
);
process.stdout.write(child.stdout);
if (child.status !== 0) throw new Error(child.stderr);
