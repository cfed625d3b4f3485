// `pnpm chaos`: a randomized fault harness (Jepsen-style) for Rewind's promise that a restore
// either happened and is recorded as such, or did not happen and left nothing behind.
//
// Per seed: 3 handler instances (separate processes) on one SQL store served by a real
// PostgreSQL server, the emulator CLI, seeded faults (Neon 423/429/500/503 with Retry-After,
// latency, every operation outcome on every action, store calls that fail or hang, clock
// offsets up to ±40 s, SIGSTOP beyond the lease, SIGKILL), a seeded workload from 3 clients;
// then quiescence, a final sweep and the invariants. SEEDS=N runs seeds 1..N (FROM=K starts at
// K, to resume a range); SEED=S replays one. The last line: `chaos: N seeds, V invariant violations`.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '@neondatabase/api-client';
import { createRewindAdmin, type RewindOptions, sqlStore } from '@rewind/server';
import pg from 'pg';
import { createDatabase, freePort, startPostgres } from '../../packages/server/src/test/postgres-server';
import { waitForLine } from '../support';
import { neonFaults } from './faults';
import { checkInvariants, finalRestore, neonIdle, quiesce, snapshotValueThroughNeon } from './invariants';
import { random } from './random';
import { type Env, type Heard, runClient, type World } from './workload';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// Node itself with tsx's loader (not the tsx CLI, which runs the script in a child process that
// SIGSTOP and SIGKILL would miss).
const node = (script: string, args: string[] = [], env: Record<string, string> = {}) =>
  spawn(
    process.execPath,
    ['--unhandled-rejections=strict', '--import', 'tsx', '--conditions=@rewind/source', script, ...args],
    { cwd: join(root, 'bench'), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readValue(uri: string): Promise<string | null> {
  const db = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 3_000 });
  db.on('error', () => undefined);
  await db.connect();
  try {
    return ((await db.query('SELECT v FROM t')).rows[0]?.v as string | undefined) ?? null;
  } finally {
    await db.end().catch(() => undefined);
  }
}

const realTime = { sleep, now: () => Date.now() };

/** The real world: instances over HTTP, the real clock, the live database over the wire protocol. */
function processEnv(liveUri: string): Env {
  return {
    fetch: (base, path, init) => fetch(`${base}${path}`, init),
    sleep,
    now: () => Date.now(),
    timeout: (ms) => AbortSignal.timeout(ms),
    setLive: async (value) => {
      const db = new pg.Client({ connectionString: liveUri, connectionTimeoutMillis: 3_000 });
      db.on('error', () => undefined);
      try {
        await db.connect();
        await db.query('UPDATE t SET v = $1', [value]);
      } finally {
        await db.end().catch(() => undefined);
      }
    },
    readLive: () => readValue(liveUri),
  };
}

const seeds: number[] = process.env.SEED
  ? [Number(process.env.SEED)]
  : Array.from({ length: Number(process.env.SEEDS ?? 20) }, (_, i) => Number(process.env.FROM ?? 1) + i);
const resultsFile = process.env.CHAOS_RESULTS;

const postgres = await startPostgres();
const storeUrl = await createDatabase(postgres, 'chaos');
const pool = new pg.Pool({ connectionString: storeUrl, max: 6 });
const store = sqlStore((text, params) => pool.query(text, params));
await store.migrate();

const emulatorPort = await freePort();
const emulatorData = mkdtempSync(join(tmpdir(), 'rewind-chaos-emulator-'));
const emulator = node(join(root, 'packages/neon-emulator/src/cli.ts'), [
  '--port',
  String(emulatorPort),
  '--operation-ms',
  '40',
  '--data',
  emulatorData,
  // The emulator's realistic faults on top (lagging lists, Neon's own operations holding the
  // lock, detaching branches); `CHAOS_REALISTIC=0` leaves them out.
  ...(process.env.CHAOS_REALISTIC === '0' ? [] : ['--realistic']),
]);
await waitForLine(emulator, 'ready', 60_000);
const neonURL = `http://127.0.0.1:${emulatorPort}/api/v2`;
const api = createApiClient({ apiKey: 'chaos', baseURL: neonURL });
// Retried: under load a kept-alive connection the emulator just closed answers ECONNRESET, and
// the rules must land (the final quiescence turns faults off through here).
const faults = async (body: unknown) => {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/faults`, {
        method: body === null ? 'DELETE' : 'PUT',
        headers: { 'content-type': 'application/json' },
        ...(body === null ? {} : { body: JSON.stringify(body) }),
      });
      await response.body?.cancel();
      return response;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200);
    }
  }
};

const options: RewindOptions = {
  neon: { apiKey: 'chaos', baseURL: neonURL, timeoutMs: 800 },
  store,
  secret: 'chaos-secret-that-is-long-enough-0123456789',
  resolveProject: () => null,
  restoreLeaseMs: 2_000,
  poll: { sparseMs: 200, denseMs: 40, deadlineMs: 15_000, failedGraceMs: 1_500 },
};
// The sweep reports a live branch Rewind did not record: a restore that landed after it was
// reported not done (or a change of the live branch behind Rewind's back). Never expected.
const unrecorded = new Set<string>();
const admin = createRewindAdmin({
  ...options,
  onError: (_error, context) => {
    if (context.where === 'sweep: unrecorded live branch') unrecorded.add(String(context.projectId));
  },
});

interface Instance {
  index: number;
  url: string;
  child: ChildProcess;
  /** Set when it exited without being killed by us: an unhandled rejection under strict mode. */
  crashed: string | null;
  killedByUs: boolean;
}

async function startInstance(
  seed: number,
  index: number,
  draw: ReturnType<typeof random>,
): Promise<Instance> {
  const port = await freePort();
  const child = node(join(here, 'instance.ts'), [], {
    CHAOS_PORT: String(port),
    CHAOS_STORE_URL: storeUrl,
    CHAOS_NEON_URL: neonURL,
    CHAOS_SEED: String(seed),
    CHAOS_INSTANCE: String(index),
    CHAOS_CLOCK_OFFSET_MS: String(draw.int(-40_000, 40_000)),
    CHAOS_STORE_FAIL: String(draw.pick([0, 0.01, 0.03])),
    CHAOS_STORE_HANG: String(draw.pick([0, 0.005, 0.02])),
  });
  const instance: Instance = {
    index,
    url: `http://127.0.0.1:${port}`,
    child,
    crashed: null,
    killedByUs: false,
  };
  child.stdout?.on('data', (chunk) => {
    for (const match of String(chunk).matchAll(/^UNRECORDED (\S+)$/gm)) unrecorded.add(match[1] as string);
  });
  child.once('exit', (code, signal) => {
    if (!instance.killedByUs) instance.crashed = `exit ${code ?? signal}`;
  });
  await waitForLine(child, 'ready', 30_000);
  return instance;
}

async function runSeed(seed: number): Promise<{ violations: string[]; log: string[]; ms: number }> {
  const started = Date.now();
  const draw = random(seed);
  const log: string[] = [];
  const { data } = await api.createProject({ project: { name: `chaos-${seed}` } });
  const projectId = data.project.id;
  const liveUri = data.connection_uris[0]?.connection_uri as string;
  await neonIdle(realTime, api, projectId);
  const db = new pg.Client(liveUri);
  await db.connect();
  await db.query(`CREATE TABLE t (v text); INSERT INTO t VALUES ('init')`);
  await db.end();

  const instances = await Promise.all([0, 1, 2].map((i) => startInstance(seed, i, random(seed * 31 + i))));
  try {
    return await exercise(seed, draw, log, started, projectId, liveUri, instances);
  } finally {
    for (const instance of instances) {
      instance.killedByUs = true;
      instance.child.kill('SIGCONT');
      instance.child.kill('SIGKILL');
    }
    await api.deleteProject(projectId).catch(() => undefined);
  }
}

async function exercise(
  seed: number,
  draw: ReturnType<typeof random>,
  log: string[],
  started: number,
  projectId: string,
  liveUri: string,
  instances: Instance[],
): Promise<{ violations: string[]; log: string[]; ms: number }> {
  const env = processEnv(liveUri);
  const world: World = {
    env,
    projectId,
    instances: instances.map((i) => i.url),
    dirtyAt: null,
    writes: Promise.resolve(),
  };
  // Faults are drawn anew every few seconds while the workload runs (rules are used up as they match).
  let faulting = true;
  const rearm = (async () => {
    while (faulting) {
      await faults(neonFaults(draw));
      await sleep(draw.int(1_500, 4_000));
    }
  })();
  // Awaited only after the workload: a failure meanwhile must not be an unhandled rejection.
  rearm.catch(() => undefined);

  // Pauses beyond the lease and a kill, at seeded moments while the workload runs.
  const chaos: Promise<void>[] = [];
  const stopped = new Set<Instance>();
  for (let n = draw.int(0, 2); n > 0; n--) {
    const victim = draw.pick(instances);
    const at = draw.int(200, 8_000);
    const length = draw.int(2_500, 4_500);
    chaos.push(
      (async () => {
        await sleep(at);
        if (victim.child.exitCode !== null || stopped.has(victim)) return;
        stopped.add(victim);
        victim.child.kill('SIGSTOP');
        log.push(`pause i${victim.index} for ${length} ms at ${at}`);
        await sleep(length);
        victim.child.kill('SIGCONT');
        stopped.delete(victim);
      })(),
    );
  }
  if (draw.chance(0.4)) {
    const victimIndex = draw.int(0, 2);
    const at = draw.int(500, 9_000);
    chaos.push(
      (async () => {
        await sleep(at);
        const victim = instances[victimIndex] as Instance;
        if (stopped.has(victim)) victim.child.kill('SIGCONT');
        victim.killedByUs = true;
        victim.child.kill('SIGKILL');
        log.push(`kill i${victimIndex} at ${at}`);
        await sleep(300);
        const replacement = await startInstance(seed, victimIndex, random(seed * 131 + victimIndex));
        instances[victimIndex] = replacement;
        world.instances[victimIndex] = replacement.url;
      })(),
    );
  }

  // Awaited after the workload too: a replacement that fails to start must not be unhandled meanwhile.
  for (const pending of chaos) pending.catch(() => undefined);
  const heard: Heard = new Map();
  await Promise.all(
    ['c1', 'c2', 'c3'].map((client, i) =>
      runClient(world, random(seed * 1_000 + i), client, draw.int(6, 9), heard, log),
    ),
  );
  await Promise.all(chaos);
  faulting = false;
  await rearm;

  // Quiescence: faults off everywhere, Neon idle, then sweeps until nothing is open.
  await faults(null);
  for (const instance of instances) instance.child.kill('SIGUSR2');
  const quiet = () => quiesce(realTime, admin, api, projectId, (line) => log.push(line));
  await quiet();

  if (world.dirtyAt !== null) log.push('live data check skipped: a write without a version');
  const checkLive = world.dirtyAt === null;
  const violations = await checkInvariants({
    env,
    api,
    store,
    projectId,
    snapshotValue: snapshotValueThroughNeon(env, api, projectId, readValue),
    heard,
    checkLive,
    notes: log,
  });
  violations.push(...(await finalRestore({ api, store, projectId, world, quiesce: quiet })));
  for (const instance of instances)
    if (instance.crashed) violations.push(`instance ${instance.index} ${instance.crashed}`);
  if (unrecorded.has(projectId)) violations.push('a sweep found a live branch no restore had recorded');
  return { violations, log, ms: Date.now() - started };
}

let total = 0;
let violated = 0;
let harnessErrors = 0;
try {
  for (const seed of seeds) {
    // A harness failure (not Rewind's) is reported and the run goes on with the next seed.
    const result = await runSeed(seed).catch((error) => {
      harnessErrors++;
      console.log(`seed ${seed}: harness error ${String(error).slice(0, 300)}`);
      return null;
    });
    if (!result) continue;
    const { violations, log, ms } = result;
    total++;
    violated += violations.length;
    const line = `seed ${seed}: ${violations.length === 0 ? 'ok' : `${violations.length} violations`} (${(ms / 1000).toFixed(1)} s)`;
    console.log(line);
    for (const violation of violations) console.log(`  ✗ ${violation}`);
    if (violations.length > 0 && process.env.CHAOS_VERBOSE) console.log(`  log: ${log.join(', ')}`);
    if (resultsFile) appendFileSync(resultsFile, `${JSON.stringify({ seed, violations, ms })}\n`);
  }
} finally {
  if (harnessErrors) console.log(`harness errors (seeds not counted): ${harnessErrors}`);
  console.log(`chaos: ${total} seeds, ${violated} invariant violations`);
  emulator.kill('SIGTERM');
  await pool.end();
  await postgres.stop();
  rmSync(emulatorData, { recursive: true, force: true });
}
process.exit(violated > 0 ? 1 : 0);
