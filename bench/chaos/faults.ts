// The Neon faults a seed draws (rules are used up as they match, so both harnesses draw anew
// every few seconds): HTTP errors with Retry-After, every operation outcome on every action,
// latency and read-after-create lag. Shared by `pnpm chaos` and `pnpm sim`.
import type { Random } from './random';

export function neonFaults(draw: Random) {
  const actions = [
    'create_timeline',
    'timeline_unarchive',
    'create_branch',
    'suspend_compute',
    'start_compute',
    'delete_timeline',
  ];
  const http = Array.from({ length: draw.int(0, 4) }, () => ({
    status: draw.pick([423, 429, 500, 503] as const),
    method: draw.pick(['GET', 'POST', 'DELETE', undefined]),
    path: draw.pick(['/restore', '/snapshot', '/branches', '/operations', '/snapshots', undefined]),
    times: draw.int(1, 3),
    retryAfter: draw.pick([undefined, 1, 2]),
  }));
  const operations = Array.from({ length: draw.int(0, 3) }, () => {
    const outcome = draw.pick(['failed', 'error', 'cancelled', 'skipped'] as const);
    return {
      action: draw.pick(actions),
      outcome,
      // The last of a restore's chain, suspend_compute, can fail after doing its work (the swap).
      ...(outcome === 'error' || outcome === 'cancelled' ? { afterEffect: draw.chance(0.5) } : {}),
      ...(outcome === 'failed' ? { failures: draw.int(1, 2) } : {}),
      times: draw.int(1, 2),
    };
  });
  // CHAOS_FORCE_OPS=suspend_compute:error (a comma list) adds rules to every draw: to check that
  // the harness catches a planted bug.
  for (const forced of (process.env.CHAOS_FORCE_OPS ?? '').split(',').filter(Boolean)) {
    const [action, outcome] = forced.split(':') as [string, 'error' | 'cancelled' | 'skipped'];
    operations.push({ action, outcome, times: 3 });
  }
  return { latencyMs: draw.pick([0, 0, 20, 80]), http, operations, newBranchLagMs: draw.pick([0, 0, 150]) };
}
