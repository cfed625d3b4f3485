import { type RestoreEvent, RewindError } from '@rewind/protocol';
import { systemRuntime } from '../defaults';
import type { RestoreRecord } from '../types';
import {
  applyStatePatch,
  EMPTY_PROJECT_STATE,
  type Fence,
  type IdempotencyRecord,
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
export function memoryStore(options: { now?: () => number } = {}): RewindStore {
  const clock = options.now ?? systemRuntime.clock;
  const versions = new Map<string, StoredVersion>();
  const states = new Map<string, ProjectState>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const locks = new Map<string, { holder: LockHolder; expiresAt: number; epoch: number }>();
  const events = new Map<string, RestoreEvent[]>();
  const restores = new Map<string, RestoreRecord>();
  const started = new Map<string, number>();
  const previews = new Map<string, StoredPreview>();
  const schemas = new Map<string, string>();
  const reconciled = new Map<string, number>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const key = (projectId: string, id: string) => `${projectId}\u0000${id}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const state = (projectId: string) => states.get(projectId) ?? EMPTY_PROJECT_STATE;
  // A version goes; its children move to its parent (in the same step, as the SQL store does).
  const removeVersion = (projectId: string, id: string): boolean => {
    const version = versions.get(key(projectId, id));
    if (!version) return false;
    versions.delete(key(projectId, id));
    for (const other of versions.values()) {
      if (other.projectId === projectId && other.parentId === id) other.parentId = version.parentId;
    }
    return true;
  };
  // Every fenced write checks the lease first, in the same synchronous step as the write.
  const check = (projectId: string, fence: Fence | null | undefined) => {
    if (!fence) return;
    const lock = locks.get(projectId);
    if (lock?.holder.id !== fence.holderId || lock.epoch !== fence.epoch || lock.expiresAt <= clock())
      throw new RewindError('lease_lost', 'This lease of the project was lost');
  };

  return {
    async now() {
      return clock();
    },
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
    async insertVersion(version, { fence, idempotency: idem, state: patch } = {}) {
      check(version.projectId, fence);
      if (versions.has(key(version.projectId, version.id)))
        throw new RewindError('conflict', `Version ${version.id} exists`);
      if (idem && idempotency.has(key(version.projectId, idem.key)))
        throw new RewindError('conflict', 'Idempotency key already used');
      versions.set(key(version.projectId, version.id), copy(version));
      if (idem)
        idempotency.set(key(version.projectId, idem.key), { versionId: version.id, bodyHash: idem.bodyHash });
      if (patch) states.set(version.projectId, applyStatePatch(state(version.projectId), copy(patch)));
    },
    async claimReconcile(projectId, intervalMs) {
      const last = reconciled.get(projectId);
      if (last !== undefined && clock() - last < intervalMs) return false;
      reconciled.set(projectId, clock());
      return true;
    },
    async takeTokens(bucketKey, cost, rule) {
      const now = clock();
      const bucket = buckets.get(bucketKey) ?? { tokens: rule.capacity, at: now };
      const available = Math.min(
        rule.capacity,
        bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rule.perSecond,
      );
      if (available - cost < rule.reserve) {
        return {
          granted: false,
          waitMs: Math.ceil(((cost + rule.reserve - available) / rule.perSecond) * 1000),
        };
      }
      buckets.set(bucketKey, { tokens: available - cost, at: now });
      return { granted: true, waitMs: 0 };
    },
    async putSchema(hash, sql) {
      if (!schemas.has(hash)) schemas.set(hash, sql);
    },
    async getSchema(hash) {
      return schemas.get(hash) ?? null;
    },
    async setPinned(projectId, id, pinned) {
      const version = versions.get(key(projectId, id));
      if (!version) return null;
      version.pinned = pinned;
      return copy(version);
    },
    async renameVersion(projectId, id, label) {
      const version = versions.get(key(projectId, id));
      if (!version) return null;
      version.label = label;
      return copy(version);
    },
    async deleteVersion(projectId, id, fence) {
      check(projectId, fence);
      return removeVersion(projectId, id);
    },
    async getIdempotencyKey(projectId, idempotencyKey) {
      const found = idempotency.get(key(projectId, idempotencyKey));
      return found ? copy(found) : null;
    },
    async getProjectState(projectId) {
      return copy(state(projectId));
    },
    async patchProjectState(projectId, patch, fence) {
      check(projectId, fence);
      states.set(projectId, applyStatePatch(state(projectId), copy(patch)));
    },
    async claimBranchName(projectId, branchName) {
      const current = state(projectId);
      if (current.branchName) return current.branchName;
      states.set(projectId, { ...current, branchName });
      return branchName;
    },
    async acquireLock(projectId, holder, ttlMs) {
      const current = locks.get(projectId);
      if (current && current.expiresAt > clock()) return { acquired: false, holder: copy(current.holder) };
      const epoch = (current?.epoch ?? 0) + 1;
      locks.set(projectId, { holder: copy(holder), expiresAt: clock() + ttlMs, epoch });
      return { acquired: true, fence: { holderId: holder.id, epoch } };
    },
    async renewLock(projectId, fence, ttlMs) {
      const current = locks.get(projectId);
      if (
        current?.holder.id !== fence.holderId ||
        current.epoch !== fence.epoch ||
        current.expiresAt <= clock()
      )
        return false;
      current.expiresAt = clock() + ttlMs;
      return true;
    },
    async releaseLock(projectId, fence) {
      const current = locks.get(projectId);
      // Expire rather than delete, so epochs keep counting up.
      if (current?.holder.id === fence.holderId && current.epoch === fence.epoch) current.expiresAt = 0;
    },
    async getLock(projectId) {
      const current = locks.get(projectId);
      return current && current.expiresAt > clock() ? copy(current.holder) : null;
    },
    async commitRestore(record, { fence, events: added = [], state: patch, version, removePreview }) {
      check(record.projectId, fence);
      if (removePreview) previews.delete(key(record.projectId, removePreview));
      if (version?.remove) removeVersion(record.projectId, version.remove);
      if (version?.insert && !versions.has(key(record.projectId, version.insert.id)))
        versions.set(key(record.projectId, version.insert.id), copy(version.insert));
      const k = key(record.projectId, record.id);
      if (!started.has(k)) started.set(k, started.size);
      restores.set(k, { ...copy(record), updatedAt: clock() });
      const log = events.get(key(record.projectId, record.id)) ?? [];
      for (const event of added) if (!log.some((e) => e.id === event.id)) log.push(copy(event));
      events.set(key(record.projectId, record.id), log);
      if (patch) states.set(record.projectId, applyStatePatch(state(record.projectId), copy(patch)));
    },
    async getRestore(projectId, id) {
      const record = restores.get(key(projectId, id));
      return record ? copy(record) : null;
    },
    async listRestores(projectId, { open, limit = 100 } = {}) {
      return (
        [...restores.values()]
          .filter((r) => r.projectId === projectId && (!open || r.status === 'running'))
          // Newest first by when the store first saw them: callers' clocks may be skewed.
          .sort(
            (a, b) => (started.get(key(b.projectId, b.id)) ?? 0) - (started.get(key(a.projectId, a.id)) ?? 0),
          )
          .slice(0, limit)
          .map(copy)
      );
    },
    async readEvents(projectId, restoreId, afterId) {
      return (events.get(key(projectId, restoreId)) ?? []).filter((e) => e.id > afterId).map(copy);
    },
    async putPreview(preview, fence) {
      check(preview.projectId, fence);
      previews.set(key(preview.projectId, preview.id), copy(preview));
    },
    async getPreview(projectId, id) {
      const preview = previews.get(key(projectId, id));
      return preview ? copy(preview) : null;
    },
    async listPreviews(projectId) {
      return [...previews.values()].filter((p) => p.projectId === projectId).map(copy);
    },
    async deletePreview(projectId, id, fence) {
      check(projectId, fence);
      previews.delete(key(projectId, id));
    },
  };
}
