import { RewindError, type Version } from '@rewind/protocol';
import type { ChangeContext, RestoreResult, RewindApi, RewindTarget } from '@rewind/server';

/**
 * Where a platform keeps the code that goes with a database version. `gitCodeStore` is one; a
 * platform with its own store (a bundle registry, a deploy system) implements these three calls.
 */
export interface CodeStore {
  /** Record the code as it is now; answers the reference to keep with the version (a commit sha). */
  checkpoint(input: { label: string; prompt?: string | null }): Promise<string>;
  /** The reference of the code as it is now, to come back to if a restore fails halfway. */
  current(): Promise<string>;
  /** Put the code back as it was at `ref` (without losing what is there now: it stays in history). */
  restore(ref: string, input: { label: string }): Promise<void>;
}

/** What a compound checkpoint holds beyond the database (kept in the version's metadata). */
export interface CompoundFields {
  deployId?: string;
  agentRunId?: string;
}

/** A version's compound fields, read back from its metadata. */
export function compoundOf(version: Version): CompoundFields & { codeRef: string | null } {
  const fields = (version.metadata.compound ?? {}) as CompoundFields;
  return { codeRef: version.codeRef, ...fields };
}

/**
 * Code and database checkpoints together: a checkpoint commits the code and snapshots the
 * database (the change applied under the project's lock), and a restore puts both back, or
 * neither.
 */
export function compoundCheckpoints(options: { api: RewindApi; code: CodeStore }) {
  const { api, code } = options;
  return {
    /**
     * Apply the agent's change (code and database) while holding the project, commit the code,
     * then snapshot the database with the commit as its `codeRef`. If the change throws, nothing
     * is committed or versioned.
     */
    async checkpoint<T>(
      target: RewindTarget,
      change: (context: ChangeContext) => Promise<T>,
      input: { label: string; prompt?: string | null } & CompoundFields,
    ): Promise<{ version: Version; result: T }> {
      const { label, prompt = null, deployId, agentRunId } = input;
      let codeRef: string | undefined;
      const before = await code.current();
      try {
        const { version, result } = await api.withVersion(
          target,
          async (context) => {
            const result = await change(context);
            codeRef = await code.checkpoint({ label, prompt });
            return result;
          },
          // The body is read after the change: the commit is its code reference.
          () => ({
            label,
            prompt,
            codeRef: codeRef ?? null,
            metadata: {
              compound: { ...(deployId ? { deployId } : {}), ...(agentRunId ? { agentRunId } : {}) },
            },
          }),
        );
        return { version, result };
      } catch (error) {
        // The database was not versioned: the code goes back to where it was.
        if (codeRef) await code.restore(before, { label: `Undo "${label}"` }).catch(() => undefined);
        throw error;
      }
    },

    /**
     * Restore version k: the code to k's `codeRef`, then the database to k's data. If the
     * database restore fails (Rewind reports only what happened: it did not), the code goes back
     * too; the error says which side failed.
     */
    async restore(target: RewindTarget, versionId: string): Promise<RestoreResult> {
      const version = await api.getVersion(target, versionId);
      if (!version.codeRef)
        throw new RewindError('bad_request', `Version ${versionId} has no code reference to restore`);
      const before = await code.current();
      try {
        await code.restore(version.codeRef, { label: version.label });
      } catch (error) {
        throw new RewindError(
          'internal',
          `The code could not be restored; nothing changed: ${String((error as Error)?.message ?? error)}`,
          {
            details: { side: 'code' },
            cause: error,
          },
        );
      }
      try {
        return await api.restore(target, versionId);
      } catch (error) {
        try {
          await code.restore(before, { label: `Undo restore of "${version.label}"` });
        } catch (rollback) {
          throw new RewindError(
            'internal',
            'The database restore failed and the code could not be put back: the code is at the version, the database is not',
            { details: { side: 'database', codeLeftAt: version.codeRef, codeWas: before }, cause: rollback },
          );
        }
        const code_ = RewindError.is(error) ? error.code : 'internal';
        throw new RewindError(
          code_,
          `The database restore failed; the code was put back: ${String((error as Error)?.message ?? error)}`,
          {
            details: { side: 'database', ...(RewindError.is(error) ? error.details : {}) },
            cause: error,
          },
        );
      }
    },
  };
}
