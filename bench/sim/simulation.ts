// One seed of the deterministic simulation: the chaos harness's world in one process on one
// virtual clock. Neon is the emulator's own engine (operations, 423 locks, rate limits, realistic
// lags and detaching, the seed's HTTP and operation faults) over simulated branch data; the store
// is the in-memory store behind per-instance faults (lost answers, failed and hung calls); three
// Rewind instances with skewed clocks are paused past their lease, killed and restarted; the
// chaos workload and the chaos invariants run unchanged. Same seed, same run, event for event.
import { createApiClient } from '@neondatabase/api-client';
import { createNeonEmulator, REALISTIC_FAULTS } from '@rewind/neon-emulator';
import {
  createRewind,
  createRewindAdmin,
  memoryStore,
  type RewindOptions,
  type RewindStore,
} from '@rewind/server';
import { neonFaults } from '../chaos/faults';
import { checkInvariants, finalRestore, quiesce as quiesceProject } from '../chaos/invariants';
import { type Random, random } from '../chaos/random';
import { type Env, type Heard, runClient, type World } from '../chaos/workload';
import { Gate, Scheduler } from './scheduler';
import { SimData } from './sim-data';

export interface SeedResult {
  seed: number;
  violations: string[];
  /** What happened, in order, with virtual times: what a failing seed prints. */
  trace: string[];
  /** Scheduler events run (a measure of the seed's size). */
  steps: number;
  virtualMs: number;
}

export interface SeedOptions {
  /** Client operations at most (each client's count is drawn, then capped): for shrinking. */
  maxOps?: number;
}

const SECRET = 'sim-secret-that-is-long-enough-0123456789';
const CLIENTS = ['c1', 'c2', 'c3'];

/** Rewind's options as the chaos harness's instances run them. */
const rewindOptions = {
  secret: SECRET,
  restoreLeaseMs: 2_000,
  poll: { sparseMs: 1_000, denseMs: 150, deadlineMs: 15_000, failedGraceMs: 1_500 },
  retry: { retries: 4, baseMs: 50, capMs: 400, maxRetryAfterMs: 3_000 },
  heartbeatMs: 1_000,
} satisfies Partial<RewindOptions>;

function mulberry(draw: Random) {
  return {
    random: () => draw.next(),
    randomBytes: (n: number) => Uint8Array.from({ length: n }, () => draw.int(0, 255)),
  };
}

export async function runSimulatedSeed(seed: number, options: SeedOptions = {}): Promise<SeedResult> {
  const sched = new Scheduler();
  if (process.env.SIM_DEBUG) sched.debug = [];
  const trace: string[] = [];
  const at = () => `+${String(sched.now - START).padStart(6)}`;
  const START = sched.now;
  const log = (line: string) => trace.push(`${at()} ${line}`);
  const draw = random(seed);
  const data = new SimData();
  const emulatorDraw = random(seed * 7 + 3);
  const emulator = await createNeonEmulator({
    metadataOnly: true,
    branchData: data,
    operationDurationMs: 40,
    faults: REALISTIC_FAULTS,
    // With SIM_VERBOSE=1, Neon's side too: every operation's status change.
    ...(process.env.SIM_VERBOSE
      ? {
          onOperation: (op: { action: string; status: string; branch_id?: string }) =>
            log(`neon ${op.action} ${op.status}${op.branch_id ? ` ${op.branch_id}` : ''}`),
        }
      : {}),
    runtime: {
      now: () => sched.now,
      timer: (ms, fn) => sched.timer(ms, fn),
      random: () => emulatorDraw.next(),
    },
  });
  const harnessApi = createApiClient({
    apiKey: 'sim',
    baseURL: emulator.baseURL,
    adapter: 'fetch',
    env: { fetch: emulator.fetch },
  });
  const shared = memoryStore({ now: () => sched.now });
  const unrecorded: string[] = [];

  // ---- the network and the store, as each instance sees them ----
  const net = random(seed * 13 + 5);
  // Slow requests (ones that land after Rewind stopped waiting) are a fault: off at quiescence.
  const network = { slow: true };
  const neonFetchFor =
    (gate: Gate): typeof fetch =>
    async (input, init) => {
      if (gate.state === 'dead') return new Promise<Response>(() => undefined);
      // Now and then a request is slow on the way: it lands after Rewind stopped waiting.
      await sched.sleep(network.slow && net.chance(0.01) ? net.int(500, 2_000) : net.int(1, 30));
      // The emulator answers in full at once (JSON): the answer travels back as it is.
      const response = await emulator.fetch(input, init);
      await sched.sleep(net.int(1, 30));
      return gate.deliver(Promise.resolve(response));
    };
  const storeFor = (gate: Gate, draw: Random, faults: { fail: number; hang: number; on: boolean }) =>
    new Proxy(shared, {
      get(target, name) {
        const method = target[name as keyof RewindStore];
        if (typeof method !== 'function') return method;
        return (...args: unknown[]) => {
          if (gate.state === 'dead') return new Promise(() => undefined);
          const call = async () => {
            await sched.sleep(draw.int(0, 3));
            if (faults.on && draw.chance(faults.hang)) await sched.sleep(draw.int(300, 2_500));
            if (faults.on && draw.chance(faults.fail)) {
              // Half of the failures lose the answer of a statement that ran.
              if (draw.chance(0.5))
                await (method as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              throw new Error('sim: store call failed');
            }
            return (method as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
          return gate.deliver(call());
        };
      },
    });

  // ---- the Rewind instances ----
  interface Instance {
    gate: Gate;
    app: ReturnType<typeof createRewind>;
    faults: { fail: number; hang: number; on: boolean };
  }
  const instances = new Map<string, Instance>();
  const startInstance = (name: string, draw: Random) => {
    const gate = new Gate();
    const offsetMs = draw.int(-40_000, 40_000);
    const faults = { fail: draw.pick([0, 0.01, 0.03]), hang: draw.pick([0, 0.005, 0.02]), on: true };
    const chance = mulberry(draw);
    const app = createRewind({
      ...rewindOptions,
      neon: { apiKey: 'sim', baseURL: emulator.baseURL, timeoutMs: 800, fetch: neonFetchFor(gate) },
      store: storeFor(gate, draw, faults),
      resolveProject: (c) => {
        const projectId = c.req.header('x-project');
        return projectId ? { projectId, actor: c.req.header('x-client') ?? null } : null;
      },
      runtime: {
        clock: () => sched.now + offsetMs,
        elapsed: () => sched.now,
        timer: (ms, fn) => sched.timer(ms, () => gate.run(fn)),
        sleep: (ms) => new Promise((resolve) => sched.timer(ms, () => gate.run(resolve))),
        ...chance,
      },
      onError: (error, context) => {
        if (context.where === 'sweep: unrecorded live branch')
          unrecorded.push(`${name} ${context.projectId}`);
        // What the instance swallowed (a store hiccup, a refused cleanup), with SIM_VERBOSE=1.
        if (process.env.SIM_VERBOSE)
          log(`${name} reported ${JSON.stringify(context)}: ${String(error).slice(0, 160)}`);
      },
    });
    instances.set(name, { gate, app, faults });
    log(
      `start ${name} (clock ${offsetMs > 0 ? '+' : ''}${offsetMs} ms, store fail ${faults.fail} hang ${faults.hang})`,
    );
  };
  const names = ['i0', 'i1', 'i2'];
  for (const [i, name] of names.entries()) startInstance(name, random(seed * 31 + i));
  const adminGate = new Gate();
  const admin = createRewindAdmin({
    ...rewindOptions,
    neon: { apiKey: 'sim', baseURL: emulator.baseURL, timeoutMs: 800, fetch: neonFetchFor(adminGate) },
    store: shared,
    resolveProject: () => null,
    runtime: {
      clock: () => sched.now,
      elapsed: () => sched.now,
      timer: (ms, fn) => sched.timer(ms, fn),
      sleep: (ms) => sched.sleep(ms),
      ...mulberry(random(seed * 17 + 1)),
    },
    onError: (_error, context) => {
      if (context.where === 'sweep: unrecorded live branch') unrecorded.push(`admin ${context.projectId}`);
    },
  });

  // ---- the world the workload sees ----
  const clientNet = random(seed * 19 + 7);
  let liveUri = '';
  const sql = async (query: string, params: string[] = []) => {
    const response = await emulator.fetch(
      new Request(emulator.baseURL.replace('/api/v2', '/sql'), {
        method: 'POST',
        headers: { 'neon-connection-string': liveUri, 'content-type': 'application/json' },
        body: JSON.stringify({ query, params }),
      }),
    );
    if (!response.ok) throw new Error(`sim sql: ${response.status} ${await response.text()}`);
    return (await response.json()) as { rows: unknown[][] };
  };
  const env: Env = {
    fetch: (base, path, init) =>
      new Promise<Response>((resolve, reject) => {
        const signal = init.signal;
        const abort = () => reject(signal?.reason ?? new Error('aborted'));
        if (signal?.aborted) return abort();
        signal?.addEventListener('abort', abort, { once: true });
        const { signal: _dropped, ...rest } = init;
        void (async () => {
          await sched.sleep(clientNet.int(1, 10));
          const instance = instances.get(base);
          if (!instance || instance.gate.state === 'dead') return; // connection refused: silence
          const gate = instance.gate;
          const response = await gate.deliver(
            Promise.resolve().then(() => instance.app.fetch(new Request(`http://rewind.sim${path}`, rest))),
          );
          log(`${base} ${init.method ?? 'GET'} ${path} → ${response.status}`);
          if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
            return resolve(response);
          const reader = response.body?.getReader();
          // A stream's chunks come through the gate too: a paused instance sends nothing.
          const body = reader
            ? new ReadableStream<Uint8Array>({
                pull: async (controller) => {
                  const read = await gate.deliver(reader.read());
                  if (read.done) controller.close();
                  else controller.enqueue(read.value);
                },
                cancel: (reason) => reader.cancel(reason),
              })
            : null;
          resolve(new Response(body, { status: response.status, headers: response.headers }));
        })().catch(reject);
      }),
    sleep: (ms) => sched.sleep(ms),
    now: () => sched.now,
    timeout: (ms) => {
      const controller = new AbortController();
      sched.timer(ms, () => controller.abort(new Error(`timed out after ${ms} ms`)));
      return controller.signal;
    },
    setLive: async (value) => {
      await sql('UPDATE t SET v = $1', [value]);
    },
    readLive: async () => ((await sql('SELECT v FROM t')).rows[0]?.[0] as string | null) ?? null,
  };

  const body = async (): Promise<string[]> => {
    const { data: created } = await harnessApi.createProject({ project: { name: `sim-${seed}` } });
    const projectId = created.project.id;
    liveUri = created.connection_uris[0]?.connection_uri as string;
    // Before any fault: the project's own operations (a lagging list would hide them from neonIdle).
    await emulator.settled(projectId);
    const world: World = { env, projectId, instances: [...names], dirtyAt: null, writes: Promise.resolve() };

    // Faults drawn anew every few seconds while the workload runs, as the chaos harness does.
    let faulting = true;
    const rearm = (async () => {
      while (faulting) {
        const rules = neonFaults(draw);
        emulator.faults.set(rules);
        log(`neon faults ${JSON.stringify(rules)}`);
        await sched.sleep(draw.int(1_500, 4_000));
      }
    })();
    // Pauses beyond the lease, and a kill with a restart, at seeded moments.
    const chaos: Promise<void>[] = [];
    for (let n = draw.int(0, 2); n > 0; n--) {
      const victim = draw.pick(names);
      const when = draw.int(200, 8_000);
      const length = draw.int(2_500, 4_500);
      chaos.push(
        (async () => {
          await sched.sleep(when);
          const instance = instances.get(victim);
          if (!instance || instance.gate.state !== 'running') return;
          log(`pause ${victim} for ${length} ms`);
          instance.gate.pause();
          await sched.sleep(length);
          log(`resume ${victim}`);
          instance.gate.resume();
        })(),
      );
    }
    if (draw.chance(0.4)) {
      const victim = draw.int(0, 2);
      const when = draw.int(500, 9_000);
      chaos.push(
        (async () => {
          await sched.sleep(when);
          const name = names[victim] as string;
          log(`kill ${name}`);
          instances.get(name)?.gate.kill();
          await sched.sleep(300);
          startInstance(name, random(seed * 131 + victim));
        })(),
      );
    }
    const heard: Heard = new Map();
    await Promise.all(
      CLIENTS.map((client, i) => {
        const ops = Math.min(draw.int(6, 9), options.maxOps ?? Number.POSITIVE_INFINITY);
        return runClient(world, random(seed * 1_000 + i), client, ops, heard, { push: log });
      }),
    );
    await Promise.all(chaos);
    faulting = false;
    await rearm;

    // Quiescence: faults off, store calls behave, Neon idle, sweeps until nothing is open.
    emulator.faults.reset();
    for (const instance of instances.values()) instance.faults.on = false;
    network.slow = false;
    log('quiescence');
    const quiesce = () => quiesceProject(env, admin, harnessApi, projectId, log);
    await quiesce();
    if (world.dirtyAt !== null) log('live data check skipped: a write without a version');
    if (process.env.SIM_VERBOSE) {
      const state = await shared.getProjectState(projectId);
      log(`checks: current ${state.currentVersionId} undo ${state.undoVersionId} live ${state.liveBranchId}`);
      for (const r of await shared.listRestores(projectId, { limit: 1_000 }))
        log(
          `restore ${r.id} of ${r.versionId} ${r.status} before ${r.currentBeforeId} after ${r.currentAfterId ?? '-'} branch ${r.restoredBranchId ?? '-'}`,
        );
    }
    const violations = await checkInvariants({
      env,
      api: harnessApi,
      store: shared,
      projectId,
      snapshotValue: async (snapshotId) => data.snapshotValue(snapshotId),
      heard,
      checkLive: world.dirtyAt === null,
      notes: trace,
    });
    violations.push(...(await finalRestore({ api: harnessApi, store: shared, projectId, world, quiesce })));
    if (process.env.SIM_VERBOSE) {
      // The end state, for reading a violation: versions as the store has them, snapshots as Neon does.
      for (const v of await shared.listVersions(projectId))
        log(`version ${v.id} ${v.kind} ${v.label} snapshot ${v.snapshotId} parent ${v.parentId}`);
      for (const s of (await harnessApi.listSnapshots(projectId)).data.snapshots)
        log(`neon snapshot ${s.id} ${s.name}`);
    }
    if (unrecorded.length)
      violations.push(`a sweep found a live branch no restore had recorded (${unrecorded.join(', ')})`);
    return violations;
  };

  // A rejection nobody handles: the chaos harness runs instances with
  // --unhandled-rejections=strict, where it ends the process; here it fails the seed.
  const unhandled: string[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
    log(unhandled.at(-1) as string);
  };
  process.on('unhandledRejection', onUnhandled);
  let violations: string[];
  try {
    violations = await sched.run(body(), 30 * 60_000);
  } catch (error) {
    violations = [`simulation error: ${error instanceof Error ? error.message : String(error)}`];
  }
  violations.push(...unhandled);
  if (sched.debug) trace.push(...sched.debug);
  const steps = sched.steps;
  const virtualMs = sched.now - START;
  for (const instance of instances.values()) instance.gate.kill();
  adminGate.kill();
  // Closing waits for Neon's operations in flight: on the virtual clock, which only runs here.
  await sched.run(emulator.close(), 60 * 60_000).catch(() => undefined);
  process.off('unhandledRejection', onUnhandled);
  return { seed, violations, trace, steps, virtualMs };
}
