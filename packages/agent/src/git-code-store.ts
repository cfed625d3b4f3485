import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CodeStore } from './code-store';

const run = promisify(execFile);

/**
 * The code side of a compound checkpoint over a git working tree: a checkpoint commits
 * everything (`git add -A`, an empty commit when nothing changed, so every version has its own
 * commit); a restore makes the working tree k's tree again as a new commit on top (`git
 * read-tree -u --reset`), so no commit is lost and history reads as what happened. Uncommitted
 * work is committed first ("Before restoring …"), as the database gets its undo point.
 */
export function gitCodeStore(options: {
  dir: string;
  git?: string;
  author?: { name: string; email: string };
}): CodeStore {
  const { dir, git = 'git', author = { name: 'Rewind', email: 'rewind@localhost' } } = options;
  const exec = async (...args: string[]) =>
    (
      await run(git, ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, ...args], {
        cwd: dir,
        maxBuffer: 16 * 1024 * 1024,
      })
    ).stdout.trim();
  const commitAll = async (message: string) => {
    await exec('add', '-A');
    await exec('commit', '--allow-empty', '--no-verify', '-q', '-m', message);
    return exec('rev-parse', 'HEAD');
  };
  const dirty = async () => (await exec('status', '--porcelain')) !== '';
  return {
    checkpoint: ({ label, prompt }) => commitAll(prompt ? `${label}\n\n${prompt}` : label),
    current: async () => {
      // A repository with no commit yet, or uncommitted work: committed, so it can be come back to.
      const head = await exec('rev-parse', '--verify', '--quiet', 'HEAD').catch(() => '');
      if (head === '' || (await dirty())) return commitAll('Work in progress (kept by Rewind)');
      return head;
    },
    async restore(ref, { label }) {
      // Refuse a reference that is not a commit before touching anything.
      const sha = await exec('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
      if (await dirty()) await commitAll(`Before restoring "${label}"`);
      await exec('read-tree', '-u', '--reset', sha);
      await exec(
        'commit',
        '--allow-empty',
        '--no-verify',
        '-q',
        '-m',
        `Restore "${label}" (${sha.slice(0, 12)})`,
      );
    },
  };
}
