import { DEFAULTS, systemRuntime } from './defaults';
import type { RewindApiOptions, RewindOptions } from './options';
import type { PollSettings } from './restore/operation-watcher';
import type { Runtime } from './types';

/** The retention rules with their defaults filled in (see `RewindApiOptions.retention`). */
export interface RetentionSettings {
  keepBackups: number;
  backupTtlMs: number;
  maxVersions: number | undefined;
  quota: number;
}

/** The options as the service reads them: every default resolved. */
export interface Settings {
  tokenTtlMs: number;
  previewTtlMs: number;
  lockWaitMs: number;
  reconcileIntervalMs: number;
  leaseMs: number;
  heartbeatMs: number;
  maxBodyBytes: number;
  requireUndo: boolean;
  undoPoint: 'after-swap' | 'before-restore';
  poll: PollSettings;
  retention: RetentionSettings;
}

export function resolveSettings(options: RewindApiOptions & Partial<RewindOptions>): Settings {
  return {
    tokenTtlMs: options.tokenTtlMs ?? DEFAULTS.tokenTtlMs,
    previewTtlMs: options.previewTtlMs ?? DEFAULTS.previewTtlMs,
    lockWaitMs: options.lockWaitMs ?? DEFAULTS.lockWaitMs,
    reconcileIntervalMs: options.reconcileIntervalMs ?? DEFAULTS.reconcileIntervalMs,
    leaseMs: options.restoreLeaseMs ?? DEFAULTS.restoreLeaseMs,
    heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    requireUndo: options.requireUndo ?? false,
    undoPoint: options.undoPoint ?? 'after-swap',
    poll: { ...DEFAULTS.poll, ...options.poll },
    retention: {
      keepBackups: options.retention?.backups?.keep ?? DEFAULTS.backups.keep,
      backupTtlMs: options.retention?.backups?.ttlMs ?? DEFAULTS.backups.ttlMs,
      maxVersions: options.retention?.maxVersions,
      quota: options.snapshotQuota ?? DEFAULTS.snapshotQuota,
    },
  };
}

export function resolveRuntime(options: { runtime?: Partial<Runtime> | undefined }): Runtime {
  return { ...systemRuntime, ...options.runtime };
}
