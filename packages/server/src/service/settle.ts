import type { Core } from '../core';
import type { Branch } from '../neon/neon-client';
import type { Lease } from '../restore/lease';
import { concludeUnstarted, newRestoreRecord } from '../restore/restore-machine';
import type { StoredVersion } from '../stores/store';
import type { ProjectTarget } from '../types';
import { holdProject } from './project-lock';
import { deleteStraySnapshots, sweep } from './sweep';

/**
 * Who asks for a project to be settled. Each trigger has one call site: `withLock` (a short
 * mutation), `startRestore` (a restore about to run, under its own lease), a follower that heard
 * nothing for a lease, a timeline view that saw an open restore with no lock, a reconcile that
 * saw Neon disagree with the store, and an operator's recover.
 */
export type SettleTrigger =
  | { by: 'mutation' }
  | { by: 'restore'; restoreId: string }
  | { by: 'follower'; restoreId: string; versionId: string }
  | { by: 'list' }
  | { by: 'reconcile' }
  | { by: 'admin' };

/**
 * Settle everything unfinished in a project, under the lock `lease` holds: restores whose job
 * is gone (the machine's `recover`), a restore that landed after it was concluded not done,
 * branches and snapshots whose cleanup or adoption was cut short, expired previews; for a
 * follower, a restore that died before its first write; for reconcile and the operator,
 * snapshots of Rewind's that nothing accounts for. The one way anything unfinished is finished.
 * Answers the live branch as it read it (a restore starting under the same lease uses it).
 */
export async function settle(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  trigger: SettleTrigger,
): Promise<Branch | undefined> {
  const live = await sweep(
    core,
    target,
    lease,
    trigger.by === 'restore' ? { except: trigger.restoreId } : {},
  );
  if (trigger.by === 'follower') await concludeIfUnstarted(core, target, lease, trigger);
  if (trigger.by === 'reconcile' || trigger.by === 'admin') await deleteStraySnapshots(core, target, lease);
  return live;
}

/** Take the project lock only to settle it: for the triggers that do not hold it already. */
export function settleProject(core: Core, target: ProjectTarget, trigger: SettleTrigger): Promise<void> {
  return holdProject(core, target, async (lease) => {
    await settle(core, target, lease, trigger);
  });
}

/**
 * Run a short mutation under the project lock, after the project is settled (what earlier
 * requests could not finish). Every write inside passes `lease.fence`.
 */
export function withLock<T>(
  core: Core,
  target: ProjectTarget,
  run: (lease: Lease) => Promise<T>,
): Promise<T> {
  return holdProject(core, target, async (lease) => {
    await settle(core, target, lease, { by: 'mutation' });
    return run(lease);
  });
}

/** A restore a follower names that left no record: it died before its first write. Its log ends here. */
async function concludeIfUnstarted(
  core: Core,
  target: ProjectTarget,
  lease: Lease,
  trigger: { restoreId: string; versionId: string },
): Promise<void> {
  const { projectId } = target;
  if (await core.store.getRestore(projectId, trigger.restoreId)) return;
  const version = (await core.store.getVersion(projectId, trigger.versionId)) ?? {
    id: trigger.versionId,
    snapshotId: '',
  };
  const record = newRestoreRecord({
    id: trigger.restoreId,
    target,
    kind: 'restore',
    version: version as StoredVersion,
    token: '',
    holderId: trigger.restoreId,
    undoVersionId: null,
    preview: null,
    createdAt: new Date(core.runtime.clock()).toISOString(),
  });
  await concludeUnstarted(core, lease, record);
}
