// Code and database together: a real git repository in a temp folder and the emulator's real
// Postgres. Restoring version k puts the working tree at k's commit and the database at k's
// data; when either side fails, the error says which, and nothing is left half-moved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNeonEmulator, type NeonEmulator } from '@rewind/neon-emulator';
import { createRewindApi, memoryStore, type RewindApi } from '@rewind/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compoundCheckpoints, compoundOf, gitCodeStore } from './index';
import { newProject as createProject, query as sqlOn } from './test/emulator';

let neon: NeonEmulator;
let api: RewindApi;
const dirs: string[] = [];

beforeAll(async () => {
  neon = await createNeonEmulator({ operationDurationMs: 30, rateLimits: false });
  api = createRewindApi({
    neon: { apiKey: 'key', baseURL: neon.baseURL, fetch: neon.fetch as typeof fetch },
    store: memoryStore(),
    secret: 'code-store-test-secret-0123456789-abcdef',
    budget: false,
  });
});
afterAll(async () => {
  await neon.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function setup(name: string) {
  const project = await createProject(neon, name);
  const dir = mkdtempSync(join(tmpdir(), 'rewind-git-'));
  dirs.push(dir);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  const query = (text: string) => sqlOn(project.uri, text);
  const file = (text?: string) => {
    if (text !== undefined) writeFileSync(join(dir, 'app.js'), text);
    return readFileSync(join(dir, 'app.js'), 'utf8');
  };
  const log = () =>
    execFileSync('git', ['log', '--format=%s'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  const head = () => execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  const treeOf = (ref: string) =>
    execFileSync('git', ['rev-parse', `${ref}^{tree}`], { cwd: dir, encoding: 'utf8' }).trim();
  const checkpoints = compoundCheckpoints({ api, code: gitCodeStore({ dir }) });
  return { target: { projectId: project.projectId }, query, file, log, head, treeOf, checkpoints };
}

describe('compound checkpoints over git', () => {
  it('restoring version k puts the working tree at k and the database at k', async () => {
    const { target, query, file, log, checkpoints } = await setup('compound-ok');
    const v1 = await checkpoints.checkpoint(
      target,
      async ({ connectionUri }) => {
        file('export const v = 1;\n');
        const client = new pg.Client(connectionUri);
        await client.connect();
        await client.query(`CREATE TABLE t (v int); INSERT INTO t VALUES (1)`);
        await client.end();
        return 'first';
      },
      { label: 'v1', prompt: 'start', deployId: 'dpl_1', agentRunId: 'run_7' },
    );
    expect(v1.result).toBe('first');
    expect(v1.version.codeRef).toMatch(/^[0-9a-f]{40}$/);
    expect(compoundOf(v1.version)).toEqual({
      codeRef: v1.version.codeRef,
      deployId: 'dpl_1',
      agentRunId: 'run_7',
    });

    const v2 = await checkpoints.checkpoint(
      target,
      async () => {
        file('export const v = 2;\n');
        await query(`UPDATE t SET v = 2`);
      },
      { label: 'v2' },
    );
    expect(v2.version.codeRef).not.toBe(v1.version.codeRef);

    const restored = await checkpoints.restore(target, v1.version.id);
    expect(restored.versionId).toBe(v1.version.id);
    expect(file()).toBe('export const v = 1;\n');
    expect(await query('SELECT v FROM t')).toEqual([{ v: 1 }]);
    // Nothing lost: v2's commit is still in history, under the restore.
    expect(log()).toEqual([
      expect.stringMatching(/^Restore "v1"/),
      'v2',
      'v1',
      'Work in progress (kept by Rewind)',
    ]);
  });

  it('a database restore that fails puts the code back and says so', async () => {
    const { target, query, file, head, treeOf, checkpoints } = await setup('compound-db-fails');
    const v1 = await checkpoints.checkpoint(
      target,
      async () => {
        file('one\n');
        await query(`CREATE TABLE t (v int); INSERT INTO t VALUES (1)`);
      },
      { label: 'v1' },
    );
    await checkpoints.checkpoint(
      target,
      async () => {
        file('two\n');
        await query(`UPDATE t SET v = 2`);
      },
      { label: 'v2' },
    );
    // v1's snapshot vanishes out of band: Neon cannot restore it.
    await neon.fetch(`${neon.baseURL}/projects/${target.projectId}/snapshots/${v1.version.snapshotId}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer key' },
    });
    await neon.settled(target.projectId);
    const before = head();
    const error = await checkpoints.restore(target, v1.version.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found', details: { side: 'database', snapshotGone: true } });
    expect(file()).toBe('two\n');
    expect(await query('SELECT v FROM t')).toEqual([{ v: 2 }]);
    // The tree is exactly as before (the put-back is a commit on top, with the same tree).
    expect(treeOf('HEAD')).toBe(treeOf(before));
  });

  it('a code restore that fails leaves the database alone; a change that throws commits nothing', async () => {
    const { target, query, file, log, checkpoints } = await setup('compound-code-fails');
    await checkpoints.checkpoint(
      target,
      async () => {
        file('one\n');
        await query(`CREATE TABLE t (v int); INSERT INTO t VALUES (1)`);
      },
      { label: 'v1' },
    );
    // A version whose code reference git does not know.
    const stray = await api.createVersion(target, { label: 'stray', codeRef: 'f'.repeat(40) });
    await query(`UPDATE t SET v = 9`);
    const error = await checkpoints.restore(target, stray.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'internal', details: { side: 'code' } });
    expect(await query('SELECT v FROM t')).toEqual([{ v: 9 }]);
    expect(file()).toBe('one\n');

    const commits = log().length;
    const versions = (await api.listVersions(target)).versions.length;
    const thrown = new Error('the agent gave up');
    const caught = await checkpoints
      .checkpoint(
        target,
        async () => {
          throw thrown;
        },
        { label: 'never' },
      )
      .catch((e: unknown) => e);
    expect(caught).toBe(thrown);
    expect(log()).toHaveLength(commits);
    expect((await api.listVersions(target)).versions).toHaveLength(versions);
  });
});
