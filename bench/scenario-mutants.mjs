// Issue 11 asks that each scenario's test fail on the code before the fix. The code before (the
// first release) has another store API, so its tests cannot run there; instead each fix is
// taken out again, one at a time, in a throwaway worktree of HEAD ("the code before", for that
// one mechanism), and the scenario's test must fail on it. Prints one line per mutant and exits
// non-zero if a mutant survived (its test passed without the fix) or no longer applies.
//   node bench/scenario-mutants.mjs            all of them
//   node bench/scenario-mutants.mjs 5 8        only these scenarios
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { eachMutant, MUTANTS } from './mutants.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const only = process.argv.slice(2);
const chosen = MUTANTS.filter((m) => only.length === 0 || only.includes(m.scenario));
let failures = 0;
await eachMutant(root, chosen, {
  notApplied(mutant) {
    console.log(`scenario ${mutant.scenario}: DOES NOT APPLY (the code changed): ${mutant.what}`);
    failures++;
  },
  check(mutant, tree) {
    const started = Date.now();
    const result = spawnSync('npx', ['vitest', 'run', ...mutant.test], { cwd: tree, encoding: 'utf8' });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const ran = /Tests\s+.*\d+ (passed|failed)/.test(result.stdout);
    if (!ran) {
      console.log(`scenario ${mutant.scenario}: NO TEST RAN (${seconds} s): ${mutant.test.join(' ')}`);
      failures++;
    } else if (result.status === 0) {
      console.log(`scenario ${mutant.scenario}: SURVIVED, its test passed without the fix: ${mutant.what}`);
      failures++;
    } else {
      console.log(`scenario ${mutant.scenario}: caught (${seconds} s) — ${mutant.what}`);
    }
  },
});
console.log(`mutants: ${chosen.length - failures} of ${chosen.length} caught by their scenario's test`);
process.exitCode = failures > 0 ? 1 : 0;
