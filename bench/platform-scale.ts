// A platform at scale: one Neon account (Neon's real rate limits: 700 requests a minute, 40 a
// second per route), thousands of tenants, 4 Rewind handler processes on one SQL store (a real
// PostgreSQL server), the emulator in metadata-only mode (no Postgres per branch) seeded in bulk
// with 20 versions per tenant. A seeded activity mix: each minute 10% of tenants are active, and
// an active tenant loads its timeline 2×, creates 0.5 versions, restores 0.05× (after the confirm
// dialog's diff) and previews 0.02× per minute. Reports Neon requests per minute, the 429s Neon
// answered, user-visible errors by code and p50/p95 per action, for this code and (BASELINE=<commit>)
// (a tenant's changes — creates, restores, previews — run one at a time, as its agent makes them)
// for an older one, run the same way from a git worktree.
//
// Run: TENANTS=1000,10000 MINUTES=5 BASELINE=aeb9bb3 pnpm --filter @rewind/bench bench:scale
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, freePort, startPostgres } from '../packages/server/src/test/postgres-server';
import { random } from './chaos/random';
import { waitForLine } from './support';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const TENANTS = (process.env.TENANTS ?? '1000,10000').split(',').map(Number);
const MINUTES = Number(process.env.MINUTES ?? 5);
const VERSIONS = 20;
const INSTANCES = 4;
const BASELINE = process.env.BASELINE;
const SEED = Number(process.env.SEED ?? 1);

const node = (tree: string, script: string, args: string[], env: Record<string, string>) =>
  spawn(process.execPath, ['--import', 'tsx', '--conditions=@rewind/source', script, ...args], {
    cwd: join(tree, 'bench'),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });

/** A worktree of `commit` with its dependencies, and this script's handler copied in. */
function worktree(commit: string): string {
  const dir = join(tmpdir(), `rewind-baseline-${commit}`);
  if (!existsSync(join(dir, 'node_modules'))) {
    rmSync(dir, { recursive: true, force: true });
    execFileSync('git', ['worktree', 'prune'], { cwd: root });
    execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root, stdio: 'inherit' });
    execFileSync('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], {
      cwd: dir,
      stdio: 'inherit',
    });
  }
  mkdirSync(join(dir, 'bench', 'scale'), { recursive: true });
  cpSync(join(here, 'scale', 'instance.ts'), join(dir, 'bench', 'scale', 'instance.ts'));
  return dir;
}

interface Sample {
  action: 'load' | 'create' | 'diff' | 'restore' | 'preview';
  ms: number;
  outcome: string;
}

async function run(label: string, tree: string, tenants: number) {
  const postgres = await startPostgres();
  const storeUrl = await createDatabase(postgres, 'scale');
  const emulatorPort = await freePort();
  const emulator = node(
    root,
    join(root, 'packages/neon-emulator/src/cli.ts'),
    ['--port', String(emulatorPort), '--metadata-only'],
    {},
  );
  await waitForLine(emulator, 'ready', 60_000);
  const neonURL = `http://127.0.0.1:${emulatorPort}/api/v2`;
  const control = `http://127.0.0.1:${emulatorPort}/_emulator`;
  const children: ChildProcess[] = [emulator];
  try {
    // Seeding: the emulator's projects and snapshots, then the store's versions pointing at them.
    const seeded = (await (
      await fetch(`${control}/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ projects: tenants, snapshotsPerProject: VERSIONS }),
      })
    ).json()) as { projects: Array<{ id: string; branchId: string; snapshots: Array<{ id: string }> }> };

    const ports: number[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      const child = node(tree, join(tree, 'bench/scale/instance.ts'), [], {
        SCALE_STORE_URL: storeUrl,
        SCALE_NEON_URL: neonURL,
        SCALE_PORT: String(port),
      });
      children.push(child);
      await waitForLine(child, 'ready', 120_000);
      ports.push(port);
    }
    const pool = new pg.Pool({ connectionString: storeUrl, max: 4 });
    const columns = (
      await pool.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'rewind_versions'`,
      )
    ).rows.map((r) => String(r.column_name));
    const hasSchemas = columns.includes('schema_hash');
    let schemaHash: string | null = null;
    if (hasSchemas) {
      // The canned schema every seeded branch has, stored once (as a version made by Rewind would).
      const first = seeded.projects[0];
      const response = await fetch(
        `${neonURL}/projects/${first?.id}/branches/${first?.branchId}/schema?db_name=neondb`,
        {
          headers: { authorization: 'Bearer scale' },
        },
      );
      const sql = ((await response.json()) as { sql: string }).sql;
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sql));
      schemaHash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      await pool.query('INSERT INTO rewind_schemas (hash, sql) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        schemaHash,
        sql,
      ]);
    }
    const versionIds = new Map<string, string[]>();
    for (let start = 0; start < seeded.projects.length; start += 200) {
      const batch = seeded.projects.slice(start, start + 200);
      const values: unknown[] = [];
      const rows: string[] = [];
      const states: string[] = [];
      const stateValues: unknown[] = [];
      for (const project of batch) {
        const ids = project.snapshots.map((_, i) => `v${project.id.replace(/\W/g, '')}x${i}`);
        versionIds.set(project.id, ids);
        project.snapshots.forEach((snapshot, i) => {
          const base = values.length;
          values.push(
            project.id,
            ids[i],
            `v${i + 1}`,
            snapshot.id,
            new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
            i > 0 ? ids[i - 1] : null,
          );
          if (hasSchemas) values.push(schemaHash);
          const n = hasSchemas ? 7 : 6;
          rows.push(`(${Array.from({ length: n }, (_, k) => `$${base + k + 1}`).join(', ')})`);
        });
        const state = {
          currentVersionId: ids.at(-1),
          undoVersionId: null,
          liveBranchId: project.branchId,
          branchName: 'main',
          pendingCleanup: [],
          pendingCreates: [],
        };
        stateValues.push(project.id, JSON.stringify(state));
        states.push(`($${stateValues.length - 1}, $${stateValues.length}::jsonb)`);
      }
      await pool.query(
        `INSERT INTO rewind_versions (project_id, id, label, snapshot_id, created_at, parent_id, kind, metadata${hasSchemas ? ', schema_hash' : ''})
         SELECT project_id, id, label, snapshot_id, created_at, parent_id, 'manual', '{}'${hasSchemas ? ', schema_hash' : ''}
         FROM (VALUES ${rows.join(', ')}) AS v(project_id, id, label, snapshot_id, created_at, parent_id${hasSchemas ? ', schema_hash' : ''})`,
        values,
      );
      await pool.query(
        `INSERT INTO rewind_projects (project_id, state) SELECT * FROM (VALUES ${states.join(', ')}) AS s(p, st)`,
        stateValues,
      );
    }
    await pool.end();

    // The activity mix, minute by minute, from one seed: the same for every code and size.
    const draw = random(SEED * 7_919 + tenants);
    const poisson = (mean: number) => {
      let k = 0;
      for (let p = Math.exp(-mean), s = p, u = draw.next(); u > s; k++) {
        p *= mean / (k + 1);
        s += p;
      }
      return k;
    };
    const samples: Sample[] = [];
    let next = 0;
    const instance = () => `http://127.0.0.1:${ports[next++ % ports.length]}`;
    const call = async (projectId: string, path: string, init: RequestInit = {}) =>
      fetch(`${instance()}${path}`, {
        ...init,
        headers: { 'x-project': projectId, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(120_000),
      });
    const outcomeOf = async (response: Response) => {
      if (response.ok) return 'ok';
      const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
      return body.error?.code ?? `http ${response.status}`;
    };
    const time = async (action: Sample['action'], work: () => Promise<string>) => {
      const started = performance.now();
      const outcome = await work().catch((error) => `thrown: ${String(error).slice(0, 60)}`);
      samples.push({ action, ms: performance.now() - started, outcome });
    };
    const readToEnd = async (response: Response) => {
      const text = await response.text();
      if (text.includes('event: restore.succeeded')) return 'ok';
      const failed = text.match(/event: restore\.failed\nid: \d+\ndata: (.*)/);
      return failed ? (JSON.parse(failed[1] as string).error?.code ?? 'failed') : 'no end';
    };
    const actions = {
      load: (p: string) => time('load', async () => outcomeOf(await call(p, '/versions'))),
      create: (p: string) =>
        time('create', async () =>
          outcomeOf(await call(p, '/versions', { method: 'POST', body: '{"label":"agent change"}' })),
        ),
      restore: async (p: string) => {
        const ids = versionIds.get(p) ?? [];
        const target = ids[draw.int(0, Math.max(0, ids.length - 2))] as string;
        let diffOk = false;
        await time('diff', async () => {
          const outcome = await outcomeOf(
            await call(p, `/versions/${target}/diff`, { method: 'POST', body: '{}' }),
          );
          diffOk = outcome === 'ok';
          return outcome;
        });
        if (!diffOk) return;
        await time('restore', async () => {
          const response = await call(p, `/versions/${target}/restore`, { method: 'POST', body: '{}' });
          return response.ok ? readToEnd(response) : outcomeOf(response);
        });
      },
      preview: (p: string) =>
        time('preview', async () => {
          const ids = versionIds.get(p) ?? [];
          const response = await call(p, `/versions/${ids[0]}/preview`, { method: 'POST', body: '{}' });
          const outcome = await outcomeOf(response.clone());
          if (response.ok) {
            const { preview } = (await response.json()) as { preview: { id: string } };
            await call(p, `/previews/${preview.id}`, { method: 'DELETE' });
          }
          return outcome;
        }),
    };
    const statsBefore = (await (await fetch(`${control}/stats`)).json()) as {
      requests: number;
      rateLimited: number;
    };
    const startedAt = Date.now();
    // Neon's limit is per minute: the emulator's total every 5 s, for the busiest 60 s window.
    const totals: number[] = [statsBefore.requests];
    const sampler = setInterval(() => {
      void fetch(`${control}/stats`)
        .then((r) => r.json() as Promise<{ requests: number }>)
        .then((s) => totals.push(s.requests))
        .catch(() => undefined);
    }, 5_000);
    const work: Promise<void>[] = [];
    // One tenant changes its database one step at a time: its agent does not save a version
    // while its own restore or preview runs (a platform holds the prompt until the restore
    // ends, as Rewind's UI does). Loads run freely. Each action is timed from when it starts.
    const inFlight = new Map<string, Promise<void>>();
    const oneAtATime = (p: string, run: () => Promise<void>) => {
      const next = (inFlight.get(p) ?? Promise.resolve()).then(run);
      inFlight.set(p, next);
      return next;
    };
    for (let minute = 0; minute < MINUTES; minute++) {
      const plan: Array<{ at: number; run: () => Promise<void> }> = [];
      for (const project of seeded.projects) {
        if (!draw.chance(0.1)) continue;
        const p = project.id;
        const at = () => minute * 60_000 + draw.next() * 60_000;
        for (let i = poisson(2); i > 0; i--) plan.push({ at: at(), run: () => actions.load(p) });
        for (let i = poisson(0.5); i > 0; i--)
          plan.push({ at: at(), run: () => oneAtATime(p, () => actions.create(p)) });
        for (let i = poisson(0.05); i > 0; i--)
          plan.push({ at: at(), run: () => oneAtATime(p, () => actions.restore(p)) });
        for (let i = poisson(0.02); i > 0; i--)
          plan.push({ at: at(), run: () => oneAtATime(p, () => actions.preview(p)) });
      }
      plan.sort((a, b) => a.at - b.at);
      for (const item of plan) {
        const wait = startedAt + item.at - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        work.push(item.run());
      }
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startedAt + MINUTES * 60_000 - Date.now())),
    );
    const stats = (await (await fetch(`${control}/stats`)).json()) as {
      requests: number;
      rateLimited: number;
    };
    clearInterval(sampler);
    const perMinute = totals.slice(12).map((total, k) => total - (totals[k] as number));
    if (perMinute.length === 0) perMinute.push(stats.requests - statsBefore.requests);
    await Promise.race([Promise.all(work), new Promise((resolve) => setTimeout(resolve, 120_000))]);
    report(label, tenants, samples, {
      requests: stats.requests - statsBefore.requests,
      rateLimited: stats.rateLimited - statsBefore.rateLimited,
      perMinute,
    });
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await postgres.stop();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number)
    : Number.NaN;
};

function report(
  label: string,
  tenants: number,
  samples: Sample[],
  neon: { requests: number; rateLimited: number; perMinute: number[] },
) {
  const errors = new Map<string, number>();
  for (const s of samples)
    if (s.outcome !== 'ok')
      errors.set(`${s.action}: ${s.outcome}`, (errors.get(`${s.action}: ${s.outcome}`) ?? 0) + 1);
  console.log(`\n### ${label}, ${tenants.toLocaleString('en')} tenants, ${MINUTES} min`);
  console.log(
    `Neon requests: ${neon.requests} in all, ${(neon.requests / MINUTES).toFixed(0)} a minute on average; busiest 60 s: ${Math.max(...neon.perMinute)} (limit 700); 429s Neon answered: ${neon.rateLimited}`,
  );
  console.log('\n| action | count | ok | p50 | p95 |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const action of ['load', 'create', 'diff', 'restore', 'preview'] as const) {
    const of = samples.filter((s) => s.action === action);
    const ok = of.filter((s) => s.outcome === 'ok');
    const ms = ok.map((s) => s.ms);
    console.log(
      `| ${action} | ${of.length} | ${ok.length} | ${ms.length ? `${quantile(ms, 0.5).toFixed(0)} ms` : '–'} | ${ms.length ? `${quantile(ms, 0.95).toFixed(0)} ms` : '–'} |`,
    );
  }
  const total = samples.length;
  console.log(
    `\nUser-visible errors: ${[...errors].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'} (${((100 * [...errors.values()].reduce((a, b) => a + b, 0)) / Math.max(1, total)).toFixed(1)}% of ${total} actions)`,
  );
}

console.log(
  `# Platform scale — ${new Date().toISOString()}, seed ${SEED}, ${INSTANCES} handler processes, ${VERSIONS} versions per tenant`,
);
for (const tenants of TENANTS) {
  await run('this code', root, tenants);
  if (BASELINE) await run(`baseline ${BASELINE}`, worktree(BASELINE), tenants);
}
