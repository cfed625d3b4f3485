import type { Core } from '../core';
import { inProgress } from '../core';
import { Lease } from '../restore/lease';
import type { LockHolder } from '../stores/store';
import type { ProjectTarget } from '../types';

/**
 * Take the project lock (shared through the store, so across instances) as `holder`, with a
 * lease that renews itself. Behind a short mutation it waits, and behind a restore whose outcome
 * is recorded (only its tail is left: the undo point, the "(old)" branch's deletion) or that has
 * ended (its job releases the lock just after its terminal event is stored, and a client that
 * heard that event may already be asking), so that an Undo clicked as soon as it is offered runs;
 * behind a restore still running it answers at once with `restore_in_progress` and what is
 * needed to follow that restore.
 */
export async function acquireProject(core: Core, target: ProjectTarget, holder: LockHolder): Promise<Lease> {
  const deadline = core.runtime.clock() + core.settings.lockWaitMs;
  for (;;) {
    const sentAt = core.runtime.elapsed();
    const result = await core.store.acquireLock(target.projectId, holder, core.leaseMs);
    if (result.acquired)
      return new Lease(
        core.store,
        target.projectId,
        result.fence,
        core.leaseMs,
        sentAt,
        core.runtime,
      ).start();
    const waits = result.holder.kind !== 'restore' || (await pastItsOutcome(core, target, result.holder.id));
    if (!waits || core.runtime.clock() > deadline) throw inProgress(result.holder);
    await core.runtime.sleep(100);
  }
}

async function pastItsOutcome(core: Core, target: ProjectTarget, restoreId: string): Promise<boolean> {
  const record = await core.store.getRestore(target.projectId, restoreId);
  return record !== null && (record.status !== 'running' || record.done.includes('record'));
}

export function mutationHolder(core: Core): LockHolder {
  return {
    id: core.newId(),
    kind: 'mutation',
    versionId: null,
    token: null,
    startedAt: new Date(core.runtime.clock()).toISOString(),
  };
}

/**
 * Hold the project lock as a mutation while `run` runs (released after, whatever happens).
 * Callers settle the project first: `withLock` and `settleProject` (service/settle.ts).
 */
export async function holdProject<T>(
  core: Core,
  target: ProjectTarget,
  run: (lease: Lease) => Promise<T>,
): Promise<T> {
  const lease = await acquireProject(core, target, mutationHolder(core));
  try {
    return await run(lease);
  } finally {
    lease.stop();
    await core.store
      .releaseLock(target.projectId, lease.fence)
      .catch((error) => core.report(error, { where: 'release lock' }));
  }
}
