// RSS of the emulator holding one project with 20 versions (snapshots) and 5 branches.
// Run by emulator.ts in a fresh process (with --expose-gc).
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { query, settle } from './support';

const MB = 1024 * 1024;
const neon = await createNeonEmulator({ operationDurationMs: 0, rateLimits: false, idleMs: 1_000 });
const api = createApiClient({
  apiKey: 'bench',
  baseURL: neon.baseURL,
  adapter: 'fetch',
  env: { fetch: neon.fetch },
});
const rss = () => process.memoryUsage().rss;
let peak = rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, rss());
}, 50);

const base = rss();
const { data: created } = await api.createProject({ project: { name: 'versions' } });
const projectId = created.project.id;
await settle(api, projectId, created.operations);
const uri = created.connection_uris[0]?.connection_uri as string;
await query(uri, `CREATE TABLE contacts (id serial PRIMARY KEY, name text, note text)`);
const snapshots: string[] = [];
for (let v = 1; v <= 20; v++) {
  await query(
    uri,
    `INSERT INTO contacts (name, note) SELECT 'v${v}-' || g, repeat('n', 100) FROM generate_series(1, 500) g`,
  );
  const snap = await api.createSnapshot({ projectId, branchId: created.branch.id, name: `v${v}` });
  await settle(api, projectId, snap.data.operations);
  snapshots.push(snap.data.snapshot.id);
}
// Five branches: main (restored to v10), "main (old)", two children, one open preview of v5.
for (const name of ['dev', 'staging']) {
  const child = await api.createProjectBranch(projectId, { branch: { name, parent_id: created.branch.id } });
  await settle(api, projectId, child.data.operations);
}
const restore = await api.restoreSnapshot(
  { projectId, snapshotId: snapshots[9] as string },
  { target_branch_id: created.branch.id, finalize_restore: true },
);
await settle(api, projectId, restore.data.operations);
const preview = await api.restoreSnapshot(
  { projectId, snapshotId: snapshots[4] as string },
  { target_branch_id: restore.data.branch.id },
);
await settle(api, projectId, preview.data.operations);
const { data: branches } = await api.listProjectBranches({ projectId });
const [{ n }] = (await query(uri, `SELECT count(*)::int AS n FROM contacts`)) as [{ n: number }];
if (n !== 5000) throw new Error(`live branch should hold v10 (5000 rows), holds ${n}`);
const busyPeak = peak;
await new Promise((resolve) => setTimeout(resolve, 4_000));
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(
  `\n20 versions and ${branches.branches.length} branches in one project: ` +
    `RSS at start ${(base / MB).toFixed(0)} MB, peak while working ${(busyPeak / MB).toFixed(0)} MB, ` +
    `idle ${(rss() / MB).toFixed(0)} MB with ${neon.openDatabases} databases open`,
);
clearInterval(sampler);
await neon.close();
