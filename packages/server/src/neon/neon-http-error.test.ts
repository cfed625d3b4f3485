import { describe, expect, it } from 'vitest';
import { NeonHttpError, toRewindError } from './neon-http-error';

describe('toRewindError', () => {
  it("branches on Neon's code first, and names the quota", () => {
    for (const [code, quota] of [
      ['BRANCHES_LIMIT_EXCEEDED', 'branches'],
      ['ROOT_BRANCHES_LIMIT_EXCEEDED', 'root_branches'],
      ['PROJECTS_LIMIT_EXCEEDED', 'projects'],
    ] as const) {
      // The message says nothing of limits: only the code can tell.
      const error = toRewindError(
        new NeonHttpError(422, 'request refused', null, 'req-1', code),
        'create branch',
      );
      expect(error.code).toBe('quota_exceeded');
      expect(error.details).toMatchObject({ quota, neonCode: code, neonStatus: 422, neonRequestId: 'req-1' });
    }
  });

  it('falls back to the message only when Neon sent no code', () => {
    const snapshots = toRewindError(
      new NeonHttpError(422, 'snapshots limit exceeded: at most 1', null, undefined, ''),
      'create snapshot',
    );
    expect(snapshots).toMatchObject({ code: 'quota_exceeded', details: { quota: 'snapshots' } });
    const roots = toRewindError(
      new NeonHttpError(422, 'root branches limit exceeded', null, undefined),
      'restore',
    );
    expect(roots.details).toMatchObject({ quota: 'root_branches' });
    // A code that is not a quota wins over a message that mentions one.
    const other = toRewindError(
      new NeonHttpError(422, 'limit of something', null, undefined, 'BRANCH_NOT_READY'),
      'x',
    );
    expect(other.code).toBe('conflict');
    expect(toRewindError(new NeonHttpError(422, 'branch not ready yet', null, undefined), 'x').code).toBe(
      'conflict',
    );
  });
});
