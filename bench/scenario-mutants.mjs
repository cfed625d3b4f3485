// Issue 11 asks that each scenario's test fail on the code before the fix. The code before (the
// first release) has another store API, so its tests cannot run there; instead each fix is
// taken out again, one at a time, in a throwaway worktree of HEAD ("the code before", for that
// one mechanism), and the scenario's test must fail on it. Prints one line per mutant and exits
// non-zero if a mutant survived (its test passed without the fix) or no longer applies.
//   node bench/scenario-mutants.mjs            all of them
//   node bench/scenario-mutants.mjs 5 8        only these scenarios
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { MUTANTS } from './mutants.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const only = process.argv.slice(2);
const chosen = MUTANTS.filter((m) => only.length === 0 || only.includes(m.scenario));
const work = mkdtempSync(join(tmpdir(), 'rewind-mutants-'));
const tree = join(work, 'tree');
let failures = 0;
try {
  execFileSync('git', ['worktree', 'add', '--detach', tree, 'HEAD'], { cwd: root, stdio: 'ignore' });
  execFileSync('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], {
    cwd: tree,
    stdio: 'ignore',
  });
  for (const mutant of chosen) {
    const originals = new Map();
    let applies = true;
    for (const edit of mutant.edits) {
      const file = join(tree, edit.file);
      const source = readFileSync(file, 'utf8');
      if (!originals.has(file)) originals.set(file, source);
      const at = source.indexOf(edit.find);
      if (at < 0 || source.indexOf(edit.find, at + 1) >= 0) applies = false;
      else writeFileSync(file, source.replace(edit.find, edit.replace));
    }
    if (!applies) {
      for (const [file, source] of originals) writeFileSync(file, source);
      console.log(`scenario ${mutant.scenario}: DOES NOT APPLY (the code changed): ${mutant.what}`);
      failures++;
      continue;
    }
    const started = Date.now();
    const result = spawnSync('npx', ['vitest', 'run', ...mutant.test], { cwd: tree, encoding: 'utf8' });
    for (const [file, source] of originals) writeFileSync(file, source);
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
  }
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: root });
  rmSync(work, { recursive: true, force: true });
}
console.log(`mutants: ${chosen.length - failures} of ${chosen.length} caught by their scenario's test`);
process.exitCode = failures > 0 ? 1 : 0;
