// `pnpm chaos:parallel`: the seeds `pnpm chaos` would run (SEEDS=N, FROM=K), split over JOBS
// harnesses (default 2) that run side by side, each with its own PostgreSQL server and emulator.
// A harness mostly waits (on Neon operations, leases, SIGSTOPs), so two on two cores take about
// half the time of one; the 500-seed runs in bench/RESULTS.md use four. Each harness's lines are
// printed as they come, prefixed; the last line sums them as `pnpm chaos` prints it:
// `chaos: N seeds, V invariant violations`. Exits non-zero if any harness did.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const seeds = Number(process.env.SEEDS ?? 20);
const from = Number(process.env.FROM ?? 1);
const jobs = Math.max(1, Math.min(seeds, Number(process.env.JOBS ?? 2)));

interface Outcome {
  code: number;
  seeds: number;
  violations: number;
}

function harness(index: number, first: number, count: number): Promise<Outcome> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@rewind/source', join(here, 'run.ts')],
    {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FROM: String(first), SEEDS: String(count) },
    },
  );
  const outcome: Outcome = { code: 1, seeds: 0, violations: 0 };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const summary = /^chaos: (\d+) seeds, (\d+) invariant violations$/.exec(line);
    if (summary) {
      outcome.seeds = Number(summary[1]);
      outcome.violations = Number(summary[2]);
    }
    console.log(`[${index + 1}] ${line}`);
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      outcome.code = code ?? (signal ? 1 : 0);
      resolve(outcome);
    });
  });
}

// Contiguous ranges, the first ones one seed longer when the split is uneven.
const runs: Array<Promise<Outcome>> = [];
let next = from;
for (let index = 0; index < jobs; index++) {
  const count = Math.floor(seeds / jobs) + (index < seeds % jobs ? 1 : 0);
  runs.push(harness(index, next, count));
  next += count;
}
const outcomes = await Promise.all(runs);
const total = outcomes.reduce((sum, o) => sum + o.seeds, 0);
const violations = outcomes.reduce((sum, o) => sum + o.violations, 0);
console.log(`chaos: ${total} seeds, ${violations} invariant violations`);
// As `pnpm chaos`: a seed a harness error kept from counting is reported above, not a failure.
process.exit(outcomes.some((o) => o.code !== 0) ? 1 : 0);
