import { RewindError } from '@rewind/protocol';
import type { Core } from './core';
import type { ResolvedProject } from './options';
import type { ProjectTarget } from './types';

/**
 * The target a tenant names, with defaults filled in. One live-branch name per project: Neon
 * serializes, limits and counts snapshots per project, and Rewind keys versions and locks by
 * project, so a second tenant on another branch of the same project is refused, never mixed in.
 * The HTTP handler and the programmatic API both come through here.
 */
export async function claimTarget(core: Core, resolved: ResolvedProject): Promise<ProjectTarget> {
  if (
    typeof resolved !== 'object' ||
    resolved === null ||
    typeof resolved.projectId !== 'string' ||
    !/^[\w-]{1,100}$/.test(resolved.projectId)
  ) {
    throw new RewindError('bad_request', 'A project target needs a Neon project id');
  }
  const branchName = resolved.branchName ?? 'main';
  let claimed = core.claimedBranches.get(resolved.projectId);
  if (claimed === undefined) {
    claimed = await core.store.claimBranchName(resolved.projectId, branchName);
    core.claimedBranches.set(resolved.projectId, claimed);
  }
  if (claimed !== branchName) {
    throw new RewindError(
      'conflict',
      `Project ${resolved.projectId} is versioned on branch "${claimed}"; one live branch per project (use one project per tenant)`,
      { details: { branchName, versionedBranch: claimed } },
    );
  }
  return {
    projectId: resolved.projectId,
    branchName,
    databaseName: resolved.databaseName ?? 'neondb',
    roleName: resolved.roleName ?? 'neondb_owner',
    actor: resolved.actor ?? null,
  };
}
