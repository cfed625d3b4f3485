// How many simulated seeds each scenario fix takes to be found when it is taken out again: the
// fix's edit (bench/mutants.mjs) in a throwaway worktree of HEAD, then `pnpm sim` in order from
// seed 1 until a seed fails (SIM_FIRST), up to SEEDS (default 2000) seeds.
//   node bench/sim/mutants.mjs 1 2 3      these scenarios (default: 1 2 3 7 9)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachMutant, MUTANTS } from '../mutants.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const only = process.argv.slice(2);
const wanted = only.length ? only : ['1', '2', '3', '7', '9'];
const limit = process.env.SEEDS ?? '2000';
let survived = 0;
await eachMutant(
  root,
  MUTANTS.filter((m) => wanted.includes(m.scenario)),
  {
    notApplied(mutant) {
      console.log(`scenario ${mutant.scenario}: DOES NOT APPLY: ${mutant.what}`);
    },
    check(mutant, tree) {
      const started = Date.now();
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--conditions=@rewind/source', 'sim/run.ts'],
        { cwd: join(tree, 'bench'), encoding: 'utf8', env: { ...process.env, SIM_FIRST: '1', SEEDS: limit } },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const first = /first failing seed (\d+), after (\d+) seeds/.exec(result.stdout);
      const why =
        result.stdout
          .split('\n')
          .find((line) => line.includes('✗'))
          ?.trim() ?? '';
      if (first)
        console.log(
          `scenario ${mutant.scenario}: caught at seed ${first[1]} (${seconds} s) — ${mutant.what}\n    ${why.slice(0, 300)}`,
        );
      else {
        survived++;
        console.log(
          `scenario ${mutant.scenario}: not caught in ${limit} seeds (${seconds} s) — ${mutant.what}`,
        );
        if (result.status !== 0) console.log(result.stdout.slice(-800), result.stderr.slice(-800));
      }
    },
  },
);
process.exitCode = survived > 0 ? 1 : 0;
