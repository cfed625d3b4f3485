import type { RestoreEvent } from '@rewind/protocol';
import {
  EMPTY_PROJECT_STATE,
  type LockHolder,
  type ProjectState,
  type RewindStore,
  type StoredPreview,
  type StoredVersion,
} from './store';

/**
 * An in-memory store: for tests, demos and single-instance deployments. Locks and restore
 * logs live in this process only; use `sqlStore` to share them between instances.
 *
 * @example
 * createRewind({ store: memoryStore(), ... })
 */
export function memoryStore(): RewindStore {
  const versions = new Map<string, StoredVersion>();
  const states = new Map<string, ProjectState>();
  const idempotency = new Map<string, string>();
  const locks = new Map<string, { holder: LockHolder; expiresAt: number }>();
  const events = new Map<string, RestoreEvent[]>();
  const previews = new Map<string, StoredPreview>();
  const key = (projectId: string, id: string) => `${projectId}\u0000${id}`;
  const copy = <T>(value: T): T => structuredClone(value);

  return {
    async listVersions(projectId) {
      return [...versions.values()]
        .filter((v) => v.projectId === projectId)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map(copy);
    },
    async getVersion(projectId, id) {
      const version = versions.get(key(projectId, id));
      return version ? copy(version) : null;
    },
    async insertVersion(version) {
      versions.set(key(version.projectId, version.id), copy(version));
    },
    async renameVersion(projectId, id, label) {
      const version = versions.get(key(projectId, id));
      if (!version) return null;
      version.label = label;
      return copy(version);
    },
    async deleteVersion(projectId, id) {
      const version = versions.get(key(projectId, id));
      if (!version) return false;
      versions.delete(key(projectId, id));
      for (const other of versions.values()) {
        if (other.projectId === projectId && other.parentId === id) other.parentId = version.parentId;
      }
      return true;
    },
    async getProjectState(projectId) {
      return copy(states.get(projectId) ?? EMPTY_PROJECT_STATE);
    },
    async updateProjectState(projectId, patch) {
      states.set(projectId, { ...(states.get(projectId) ?? EMPTY_PROJECT_STATE), ...copy(patch) });
    },
    async getIdempotencyKey(projectId, idempotencyKey) {
      return idempotency.get(key(projectId, idempotencyKey)) ?? null;
    },
    async putIdempotencyKey(projectId, idempotencyKey, versionId) {
      // First write wins, as the SQL store's ON CONFLICT DO NOTHING.
      if (!idempotency.has(key(projectId, idempotencyKey)))
        idempotency.set(key(projectId, idempotencyKey), versionId);
    },
    async acquireLock(projectId, holder, ttlMs) {
      const current = locks.get(projectId);
      if (current && current.expiresAt > Date.now()) return { acquired: false, holder: copy(current.holder) };
      locks.set(projectId, { holder: copy(holder), expiresAt: Date.now() + ttlMs });
      return { acquired: true };
    },
    async renewLock(projectId, holderId, ttlMs) {
      const current = locks.get(projectId);
      if (current?.holder.id !== holderId) return false;
      current.expiresAt = Date.now() + ttlMs;
      return true;
    },
    async releaseLock(projectId, holderId) {
      if (locks.get(projectId)?.holder.id === holderId) locks.delete(projectId);
    },
    async getLock(projectId) {
      const current = locks.get(projectId);
      return current && current.expiresAt > Date.now() ? copy(current.holder) : null;
    },
    async appendEvent(projectId, restoreId, event) {
      const log = events.get(key(projectId, restoreId)) ?? [];
      log.push(copy(event));
      events.set(key(projectId, restoreId), log);
    },
    async readEvents(projectId, restoreId, afterId) {
      return (events.get(key(projectId, restoreId)) ?? []).filter((e) => e.id > afterId).map(copy);
    },
    async putPreview(preview) {
      previews.set(key(preview.projectId, preview.id), copy(preview));
    },
    async getPreview(projectId, id) {
      const preview = previews.get(key(projectId, id));
      return preview ? copy(preview) : null;
    },
    async listPreviews(projectId) {
      return [...previews.values()].filter((p) => p.projectId === projectId).map(copy);
    },
    async deletePreview(projectId, id) {
      previews.delete(key(projectId, id));
    },
  };
}
