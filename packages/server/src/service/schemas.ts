import { RewindError, type SchemaDiff } from '@rewind/protocol';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { Core } from '../core';
import { compareSchemaDumps } from '../restore/schema-diff';
import type { StoredVersion } from '../stores/store';
import type { ProjectTarget } from '../types';

/**
 * pg_dump 17.6+ brackets its output with `\restrict <random key>` / `\unrestrict <key>` (a fix for
 * CVE-2025-8714), so two dumps of one schema differ there; dropped before hashing and diffing.
 */
export function normalizeSchema(sql: string): string {
  return sql.replace(/^\\(?:un)?restrict .*\n?/gm, '');
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Read a branch's schema (at `lsn`, the point a snapshot was taken, when Neon can answer it; else
 * its head) and keep it once per content. The hash, or null when Neon would not say: a version
 * without a stored schema is diffed through a branch, as before.
 */
export async function captureSchema(
  core: Core,
  target: ProjectTarget,
  branchId: string,
  lsn?: string | null,
): Promise<string | null> {
  const read = (at?: string) => core.neon.branchSchema(target.projectId, branchId, target.databaseName, at);
  try {
    const sql = normalizeSchema(
      lsn
        ? await read(lsn).catch((error) => (isPointInTimeRefusal(error) ? read() : Promise.reject(error)))
        : await read(),
    );
    const hash = await sha256(sql);
    await core.store.putSchema(hash, sql);
    return hash;
  } catch (error) {
    core.report(error, { where: 'capture schema', projectId: target.projectId });
    return null;
  }
}

const isPointInTimeRefusal = (error: unknown) =>
  RewindError.is(error) && (error.details?.neonStatus === 422 || error.details?.neonStatus === 400);

/**
 * "What restoring this version changes", from its stored schema and the live one: one Neon
 * request (the live schema), no branch. Null when the version has no stored schema.
 */
export async function diffFromStoredSchema(
  core: Core,
  target: ProjectTarget,
  version: StoredVersion,
): Promise<SchemaDiff | null> {
  if (!version.schemaHash) return null;
  const stored = await core.store.getSchema(version.schemaHash);
  if (stored === null) return null;
  const { liveBranchId } = await core.store.getProjectState(target.projectId);
  const live = await liveSchema(core, target, liveBranchId);
  if (live === stored) return { text: '', tables: [], complete: true };
  // Neon's compare_schema format ("what to apply to the base to match the branch"): base = live.
  const text = createTwoFilesPatch(
    `a/${target.databaseName}`,
    `b/${target.databaseName}`,
    live,
    stored,
    undefined,
    undefined,
    { context: 3, headerOptions: FILE_HEADERS_ONLY },
  );
  return { ...compareSchemaDumps(live, stored), text };
}

/** The live schema, by the recorded live branch id; by name when that id is gone (out of band). */
async function liveSchema(core: Core, target: ProjectTarget, liveBranchId: string | null): Promise<string> {
  const read = (id: string) => core.neon.branchSchema(target.projectId, id, target.databaseName);
  if (liveBranchId) {
    try {
      return normalizeSchema(await read(liveBranchId));
    } catch (error) {
      if (!(RewindError.is(error) && error.code === 'not_found')) throw error;
    }
  }
  const live = await core.neon.findBranchByName(target.projectId, target.branchName);
  if (!live)
    throw new RewindError('not_found', `Live branch "${target.branchName}" not found in the project`);
  return normalizeSchema(await read(live.id));
}

/**
 * What a version changed in the schema against its parent, from the two stored schemas: no
 * Neon request. A first version is compared with an empty database. Null when a schema is not
 * stored (a version made before schemas were kept, or Neon would not say).
 */
export async function changesOf(
  core: Core,
  target: ProjectTarget,
  version: StoredVersion,
): Promise<SchemaDiff | null> {
  if (!version.schemaHash) return null;
  const parent = version.parentId ? await core.store.getVersion(target.projectId, version.parentId) : null;
  if (version.parentId && !parent?.schemaHash) return null;
  const [mine, theirs] = await Promise.all([
    core.store.getSchema(version.schemaHash),
    parent?.schemaHash ? core.store.getSchema(parent.schemaHash) : Promise.resolve(''),
  ]);
  if (mine === null || theirs === null) return null;
  if (mine === theirs) return { text: '', tables: [], complete: true };
  const text = createTwoFilesPatch(
    `a/${target.databaseName}`,
    `b/${target.databaseName}`,
    theirs,
    mine,
    undefined,
    undefined,
    { context: 3, headerOptions: FILE_HEADERS_ONLY },
  );
  return { ...compareSchemaDumps(theirs, mine), text };
}
