export {
  type HeadersInit,
  type RestoreStreamHandlers,
  RewindClient,
  type RewindClientOptions,
} from '@rewind/client';
export { usePreview } from './hooks/use-preview';
export {
  type ConnectionStatus,
  type RestoreState,
  type RestoreStatus,
  type UseRestoreOptions,
  type UseRestoreResult,
  useRestore,
} from './hooks/use-restore';
export { useUndoRestore } from './hooks/use-undo-restore';
export {
  useCreateVersion,
  useDeleteVersion,
  useRenameVersion,
  useVersionChanges,
  useVersionDiff,
  useVersions,
  versionsKey,
} from './hooks/use-versions';
export { RewindProvider, type RewindProviderProps, useRewind } from './provider';
export { RestoreButton, type RestoreButtonProps } from './restore-button/restore-button';
export { RestoreFlow, type RestoreFlowProps, type RestoreFlowSlot } from './restore-button/restore-flow';
export { defaultStrings, mergeStrings, type RewindStrings } from './strings';
export {
  type PreviewSlot,
  VersionPreview,
  type VersionPreviewProps,
} from './version-preview/version-preview';
export {
  type GraphLine,
  type GraphRow,
  layoutVersionGraph,
  type VersionGraph,
} from './version-timeline/version-graph';
export {
  type TimelineSlot,
  VersionTimeline,
  type VersionTimelineProps,
} from './version-timeline/version-timeline';
