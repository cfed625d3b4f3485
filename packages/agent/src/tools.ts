import type { Preview, SchemaDiff, Version } from '@rewind/protocol';
import type { RewindApi, RewindTarget } from '@rewind/server';
import { z } from 'zod';

/**
 * Rewind's agent tools, defined once: the AI SDK tools (`rewindAiTools`) and the MCP server
 * (`createRewindMcpServer`) are both built from this list. Inputs are zod schemas, which the AI
 * SDK (as Standard Schema) and the MCP SDK both take as they are. Outputs are what a model may
 * read: ids, labels, times and diffs, never a connection string.
 */
export interface RewindToolContext {
  api: RewindApi;
  target: RewindTarget;
  /**
   * Receives a preview's connection string, for the platform's own code (run the app against
   * it, show it to a human): the model only gets the preview's id and diff.
   */
  onPreview?: ((preview: { preview: Preview; connectionUri: string }) => void | Promise<void>) | undefined;
}

export interface RewindToolDefinition<I extends z.ZodObject = z.ZodObject> {
  description: string;
  input: I;
  /** Replaces the live database: runs only after approval (unless the platform opts out). */
  destructive: boolean;
  /** What the approver sees before a destructive call (what would change). */
  preview?: (context: RewindToolContext, input: z.infer<I>) => Promise<unknown>;
  run: (context: RewindToolContext, input: z.infer<I>) => Promise<unknown>;
}

const versionId = z.string().min(1).max(100).describe('The id of a version, from list_versions');

/** A version as a model sees it. */
export function versionSummary(version: Version) {
  return {
    id: version.id,
    label: version.label,
    kind: version.kind,
    current: version.current,
    createdAt: version.createdAt,
    codeRef: version.codeRef,
    parentId: version.parentId,
  };
}

/** A schema diff as a model sees it: per table, plus the text (bounded). */
export function diffSummary(diff: SchemaDiff) {
  return {
    identical: diff.text === '',
    tables: diff.tables.map((table) => ({
      name: table.name,
      change: table.change,
      addedColumns: table.addedColumns,
      removedColumns: table.removedColumns,
      changedColumns: table.changedColumns,
    })),
    text: diff.text.length > 4_000 ? `${diff.text.slice(0, 4_000)}\n… (truncated)` : diff.text,
  };
}

const define = <I extends z.ZodObject>(definition: RewindToolDefinition<I>) => definition;

export const rewindToolDefinitions = {
  create_checkpoint: define({
    description:
      'Save the current database (schema and data) as a restorable version. Call after each change you make to the database.',
    input: z.object({
      label: z
        .string()
        .min(1)
        .max(200)
        .describe('Short description of the change, e.g. "Add tags to contacts"'),
      prompt: z.string().max(20_000).optional().describe('The user prompt that led to this change'),
      codeRef: z
        .string()
        .max(500)
        .optional()
        .describe('The code revision that goes with this database state'),
    }),
    destructive: false,
    run: async ({ api, target }, input) => ({
      version: versionSummary(await api.createVersion(target, input)),
    }),
  }),
  list_versions: define({
    description: 'List the saved database versions, newest first, and which one is current.',
    input: z.object({ limit: z.number().int().min(1).max(100).optional() }),
    destructive: false,
    run: async ({ api, target }, { limit = 20 }) => {
      const listed = await api.listVersions(target);
      const versions = [...listed.versions].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return {
        currentVersionId: listed.currentVersionId,
        restoreRunning: listed.activeRestore !== null,
        versions: versions.slice(0, limit).map(versionSummary),
      };
    },
  }),
  diff_version: define({
    description:
      'Show what restoring a version would change in the live database schema, and whether it can be undone.',
    input: z.object({ versionId }),
    destructive: false,
    run: async ({ api, target }, { versionId: id }) => {
      const diff = await api.diffVersion(target, id);
      return { ...diffSummary(diff), undoable: diff.undoable };
    },
  }),
  restore_version: define({
    description:
      'Restore the live database to a saved version (schema and data; the connection string stays the same). Data written since is replaced and kept in an undo point. Needs approval.',
    input: z.object({ versionId }),
    destructive: true,
    preview: async ({ api, target }, { versionId: id }) => {
      const [version, diff] = await Promise.all([api.getVersion(target, id), api.diffVersion(target, id)]);
      return { restore: versionSummary(version), ...diffSummary(diff), undoable: diff.undoable };
    },
    run: async ({ api, target }, { versionId: id }) => {
      const result = await api.restore(target, id);
      return { restored: true, versionId: result.versionId, undoVersionId: result.undoVersionId };
    },
  }),
  undo_restore: define({
    description: 'Undo the last restore: put back the database as it was just before it. Needs approval.',
    input: z.object({}),
    destructive: true,
    preview: async ({ api, target }) => {
      const listed = await api.listVersions(target);
      return { currentVersionId: listed.currentVersionId, undo: 'the last restore' };
    },
    run: async ({ api, target }) => {
      const result = await api.undo(target);
      return { restored: true, versionId: result.versionId, undoVersionId: result.undoVersionId };
    },
  }),
  preview_version: define({
    description:
      'Open a temporary copy of a version next to the live database, to inspect it without changing anything. Returns the preview id and what differs.',
    input: z.object({ versionId }),
    destructive: false,
    run: async ({ api, target, onPreview }, { versionId: id }) => {
      const { preview, diff, connectionUri } = await api.createPreview(target, id);
      await onPreview?.({ preview, connectionUri });
      return {
        previewId: preview.id,
        versionId: preview.versionId,
        expiresAt: preview.expiresAt,
        ...diffSummary(diff),
      };
    },
  }),
};

export type RewindToolName = keyof typeof rewindToolDefinitions;
