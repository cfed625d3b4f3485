// The scenario fixes, each as a literal edit that takes it out again (the code before, for that
// one mechanism) and the scenario test that must then fail. Used by scenario-mutants.mjs (each
// scenario's own test) and sim/mutants.mjs (how many simulated seeds find it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const S = 'packages/server/src';
const NEVER_LIES = `${S}/never-lies.test.ts`;

/** Each: the scenario, the fix taken out (a literal edit of today's code), the test that must fail. */
export const MUTANTS = [
  {
    scenario: '1',
    what: 'a job starts a mutating Neon call with too little lease left',
    edits: [
      {
        file: `${S}/restore/lease.ts`,
        find: "      if (this.remaining() < needMs)\n        throw new RewindError('lease_lost', 'Too little lease left to start a Neon call');",
        replace: '',
      },
    ],
    test: [NEVER_LIES, '-t', 'stops the job before it calls Neon again'],
  },
  {
    scenario: '1b',
    what: "lock expiry judged by the taking instance's clock (its holder's startedAt), not the store's",
    edits: [
      {
        file: `${S}/stores/sql-store.ts`,
        find: '         WHERE rewind_locks.expires_at <= now()\n         RETURNING holder_id, epoch`,',
        replace:
          "         WHERE rewind_locks.expires_at <= (EXCLUDED.holder->>'startedAt')::timestamptz\n         RETURNING holder_id, epoch`,",
      },
    ],
    test: [NEVER_LIES, '-t', 'judges leases by the store clock'],
  },
  {
    scenario: '2',
    what: 'an operation that fails after the swap decides the outcome (not the branches Neon shows)',
    edits: [
      {
        file: `${S}/restore/restore-machine.ts`,
        find: '  // the endpoint moved, and the restore stands).\n  const seen = await readSwapSettled(ctx, run);',
        replace:
          '  // the endpoint moved, and the restore stands).\n  if (opError && isDefinitiveFailure(opError)) return notDone(ctx, run, opError);\n  const seen = await readSwapSettled(ctx, run);',
      },
    ],
    test: [NEVER_LIES, '-t', 'is a success: the live branch was replaced'],
  },
  {
    scenario: '3',
    what: "a failure after the swap (the outcome's store write) ends the restore as not done",
    edits: [
      {
        file: `${S}/restore/restore-machine.ts`,
        find: "  if (action.type === 'not-done' && record.swapped) return { record, events: [] };\n",
        replace: '',
      },
      {
        file: `${S}/restore/restore-machine.ts`,
        find: '    const untouched = !r.swapped && !r.asking && r.restoredBranchId === null;',
        replace: '    const untouched = true;',
      },
    ],
    test: [NEVER_LIES, '-t', 'never reports failure'],
  },
  {
    scenario: '3b',
    what: "the clicking instance's stream keeps to its own job's events after that job stopped with the outcome open",
    edits: [
      {
        file: `${S}/restore/restore-hub.ts`,
        find: '      const live = local !== undefined && !local.ended;',
        replace: '      const live = local !== undefined;',
      },
    ],
    test: [NEVER_LIES, '-t', 'never reports failure'],
  },
  {
    scenario: '4',
    what: 'a resume point at or past the end waits for events that never come',
    edits: [
      {
        file: `${S}/restore/restore-hub.ts`,
        find: '    const atEnd = await ended();',
        replace: '    const atEnd = null as RestoreEvent | null;',
      },
    ],
    test: [NEVER_LIES, '-t', 'ends the stream at once with the terminal event'],
  },
  {
    scenario: '5',
    what: 'state changes accepted without Content-Type: application/json',
    edits: [
      {
        file: `${S}/routes/json-guard.ts`,
        find: "    if (type !== 'application/json') {",
        replace: "    if (type !== 'application/json' && type === 'never') {",
      },
    ],
    test: [NEVER_LIES, '-t', 'refuses state changes that are not JSON'],
  },
  {
    scenario: '6',
    what: 'a state patch replaces the whole state instead of merging its fields',
    edits: [
      {
        file: `${S}/stores/sql-store.ts`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text being edited
        find: "  let expr = `(coalesce(${base}, '{}'::jsonb) || ${p(JSON.stringify(set))}::jsonb)`;",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text being edited
        replace: '  let expr = `(${p(JSON.stringify(set))}::jsonb)`;',
      },
    ],
    test: [`${S}/stores/store.test.ts`, '-t', 'patches state per field'],
  },
  {
    scenario: '7',
    what: "a version's snapshot is created before anything names it in the store",
    edits: [
      {
        file: `${S}/service/versions.ts`,
        find: "    { createsAdd: [{ kind: 'snapshot', name, versionId: null, at: await core.store.now() }] },",
        replace: '    {},',
      },
      {
        // The second line of defence (a stray rewind- snapshot is deleted by reconciliation).
        file: `${S}/service/sweep.ts`,
        find: '    REWIND_SNAPSHOT.test(snapshot.name) &&',
        replace: '    false &&',
      },
    ],
    test: [NEVER_LIES, '-t', 'leaks no snapshot: the sweep finds it'],
  },
  {
    scenario: '8',
    what: 'no depth or NUL check on JSON bodies',
    edits: [
      { file: `${S}/routes/json-guard.ts`, find: '      checkJson(body);', replace: '      void body;' },
    ],
    test: [NEVER_LIES, '-t', 'answers typed 400s for deep JSON and NUL'],
  },
  {
    scenario: '8b',
    what: 'an Idempotency-Key reused with another body replays the first',
    edits: [
      {
        file: `${S}/service/versions.ts`,
        find: '    if (used.bodyHash !== null && used.bodyHash !== hash) {',
        replace: '    if (used.bodyHash !== null && used.bodyHash !== hash && hash === null) {',
      },
    ],
    test: [NEVER_LIES, '-t', 'answers 422 for an Idempotency-Key reused'],
  },
  {
    scenario: '9',
    what: 'a failure while ending a failed restore (its rollback and its store both failing) rejects the job, unhandled',
    edits: [
      {
        file: `${S}/service/restores.ts`,
        find: "    .catch((error) => core.report(error, { where: 'restore job', restoreId }))\n",
        replace: '',
      },
      {
        file: `${S}/restore/restore-machine.ts`,
        find: "      ctx.report(error, { where: 'restore stopped with its outcome open', restoreId: r.id });",
        // Still reported, so what fails is the rejection itself, not the test's report check.
        replace:
          "      ctx.report(error, { where: 'restore stopped with its outcome open', restoreId: r.id });\n      throw error;",
      },
    ],
    test: [NEVER_LIES, '-t', 'a failed rollback and a failing store still end every follower'],
  },
  {
    scenario: '10',
    what: 'the client stops following on anything but neon_unavailable',
    edits: [
      {
        file: 'packages/ui/src/restore-session.ts',
        find: '  if (error.details?.network === true) return true;',
        replace: "  return error.code === 'neon_unavailable';",
      },
    ],
    test: ['packages/ui/src/restore-button/restore-button.test.tsx', '-t', 'keeps reconnecting through'],
  },
  {
    scenario: '11',
    what: 'a second live-branch name per project is accepted',
    edits: [
      {
        file: `${S}/project-target.ts`,
        find: '  if (claimed !== branchName) {',
        replace: '  if (claimed !== branchName && claimed === null) {',
      },
    ],
    test: [NEVER_LIES, '-t', 'refuses a second live-branch name'],
  },
];

/**
 * Run `check(mutant, tree)` on each mutant in one throwaway worktree of HEAD (installed once),
 * its edits applied before and taken back after; a mutant whose edit no longer matches exactly
 * once goes to `notApplied` instead. The worktree is removed at the end, whatever happens.
 */
export async function eachMutant(root, mutants, { check, notApplied }) {
  const work = mkdtempSync(join(tmpdir(), 'rewind-mutants-'));
  const tree = join(work, 'tree');
  try {
    execFileSync('git', ['worktree', 'add', '--detach', tree, 'HEAD'], { cwd: root, stdio: 'ignore' });
    execFileSync('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], {
      cwd: tree,
      stdio: 'ignore',
    });
    for (const mutant of mutants) {
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
      try {
        if (applies) await check(mutant, tree);
        else notApplied(mutant);
      } finally {
        for (const [file, source] of originals) writeFileSync(file, source);
      }
    }
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: root });
    rmSync(work, { recursive: true, force: true });
  }
}
