// One Rewind handler instance of the chaos harness: its own process (so SIGSTOP and SIGKILL are
// real), on the shared PostgreSQL store through a pool, with seeded store faults and a skewed
// clock. Started with --unhandled-rejections=strict: an unhandled rejection ends it, and the
// harness counts that as a violation.
import { serve } from '@hono/node-server';
import { createRewind, type SqlQuery, sqlStore } from '@rewind/server';
import pg from 'pg';
import { random } from './random';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(env('CHAOS_PORT'));
const offsetMs = Number(env('CHAOS_CLOCK_OFFSET_MS'));
const failP = Number(env('CHAOS_STORE_FAIL'));
const hangP = Number(env('CHAOS_STORE_HANG'));
const draw = random(Number(env('CHAOS_SEED')) * 7919 + Number(env('CHAOS_INSTANCE')));
let faults = true;
process.on('SIGUSR2', () => {
  faults = false; // quiescence: the store behaves from now on
});

const pool = new pg.Pool({ connectionString: env('CHAOS_STORE_URL'), max: 4 });
pool.on('error', () => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const query: SqlQuery = async (text, params) => {
  if (faults && draw.chance(hangP)) await sleep(draw.int(300, 2_500));
  if (faults && draw.chance(failP)) {
    // Half of the failures lose the answer of a statement that ran.
    if (draw.chance(0.5)) await pool.query(text, params);
    throw new Error('chaos: store call failed');
  }
  return pool.query(text, params);
};

const app = createRewind({
  neon: { apiKey: 'chaos', baseURL: env('CHAOS_NEON_URL'), timeoutMs: 800 },
  store: sqlStore(query),
  secret: 'chaos-secret-that-is-long-enough-0123456789',
  resolveProject: (c) => {
    const projectId = c.req.header('x-project');
    return projectId ? { projectId, actor: c.req.header('x-client') ?? null } : null;
  },
  restoreLeaseMs: 2_000,
  poll: { sparseMs: 200, denseMs: 40, deadlineMs: 15_000, failedGraceMs: 1_500 },
  retry: { retries: 4, baseMs: 50, capMs: 400, maxRetryAfterMs: 3_000 },
  heartbeatMs: 1_000,
  runtime: { clock: () => Date.now() + offsetMs },
  onError: (error, context) => {
    // The harness counts these: Neon showed a restore Rewind had not recorded.
    if (context.where === 'sweep: unrecorded live branch') console.log(`UNRECORDED ${context.projectId}`);
    if (process.env.CHAOS_VERBOSE)
      console.error(`[i${env('CHAOS_INSTANCE')}]`, JSON.stringify(context), String(error));
  },
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log('ready'));
