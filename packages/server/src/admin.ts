import { RewindError } from '@rewind/protocol';
import { createCore } from './core';
import type { RewindOptions } from './options';
import { abandon } from './restore/restore-machine';
import { inspectProject, recoverProject, restoreAudit } from './service/restores';
import { withLock } from './service/settle';
import type { ProjectTarget } from './types';

/** A project as an operator names it (the same shape `resolveProject` answers). */
export type AdminTarget = Pick<ProjectTarget, 'projectId'> & Partial<Omit<ProjectTarget, 'projectId'>>;

function targetOf(target: AdminTarget): ProjectTarget {
  return {
    projectId: target.projectId,
    branchName: target.branchName ?? 'main',
    databaseName: target.databaseName ?? 'neondb',
    roleName: target.roleName ?? 'neondb_owner',
    actor: target.actor ?? 'operator',
  };
}

/**
 * Operator calls beside the handler, over the same store and Neon account: see a project's
 * state (its lock, open restores, pending cleanup), settle what can be settled, read the restore
 * audit trail, and, when Neon cannot tell how a restore ended (the live branch was changed out
 * of band), decide it as not done.
 *
 * @example
 * const admin = createRewindAdmin(options);
 * const { openRestores } = await admin.inspect({ projectId });
 */
export function createRewindAdmin(options: RewindOptions) {
  const core = createCore(options);
  return {
    inspect: (target: AdminTarget) => inspectProject(core, targetOf(target)),
    recover: (target: AdminTarget) => recoverProject(core, targetOf(target)),
    audit: (target: AdminTarget, limit?: number) => restoreAudit(core, targetOf(target), limit),
    /** End an open restore as not done, deleting what it made. Refused once it swapped. */
    abandon: (target: AdminTarget, restoreId: string) =>
      withLock(core, targetOf(target), async (lease) => {
        const record = await core.store.getRestore(target.projectId, restoreId);
        if (!record) throw new RewindError('not_found', 'No such restore');
        await abandon(core, record, lease);
      }),
  };
}

export type RewindAdmin = ReturnType<typeof createRewindAdmin>;
