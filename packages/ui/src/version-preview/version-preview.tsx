import { useEffect, useRef } from 'react';
import { usePreview } from '../hooks/use-preview';
import { type UseRestoreOptions, useRestore } from '../hooks/use-restore';
import { useRewind } from '../provider';
import { DiffSummary } from '../restore-button/diff-summary';
import { RestoreFlow } from '../restore-button/restore-flow';

export type PreviewSlot = 'preview' | 'open' | 'diff' | 'diff-table' | 'promote' | 'discard';

export interface VersionPreviewProps extends UseRestoreOptions {
  versionId: string;
  label: string;
  /** Open the preview as soon as the component mounts (e.g. from a timeline row). */
  openOnMount?: boolean;
  unstyled?: boolean;
  className?: string;
  classNames?: Partial<Record<PreviewSlot, string>>;
}

/**
 * Open a version in a preview branch, read what it changes against live, then make it live
 * (promote, with progress and Undo) or discard it. The preview's connection string stays on the
 * server (the handler's `onPreviewReady` hook).
 */
export function VersionPreview({
  versionId,
  label,
  openOnMount,
  unstyled,
  className,
  classNames = {},
  ...options
}: VersionPreviewProps) {
  const { strings } = useRewind();
  const { preview, open, discard, clear } = usePreview();
  const restore = useRestore({
    ...options,
    resume: false,
    onRestored: (event) => {
      clear();
      options.onRestored?.(event);
    },
  });
  const state = preview ? 'open' : open.isPending ? 'opening' : 'closed';
  // Once per mount (StrictMode runs effects twice in development).
  const opened = useRef(false);
  useEffect(() => {
    if (openOnMount && !opened.current) {
      opened.current = true;
      open.mutate({ versionId });
    }
  }, [openOnMount, open, versionId]);
  const busy =
    open.isPending || discard.isPending || restore.status === 'submitted' || restore.status === 'running';
  const error = open.error ?? discard.error;
  return (
    <div
      data-rewind=""
      data-slot="preview"
      data-state={state}
      data-unstyled={unstyled ? '' : undefined}
      className={[className, classNames.preview].filter(Boolean).join(' ') || undefined}
    >
      {preview ? (
        <section aria-label={strings.previewTitle(label)}>
          <h3>{strings.previewTitle(label)}</h3>
          <div data-slot="diff" className={classNames.diff}>
            <DiffSummary diff={preview.diff} tableClassName={classNames['diff-table']} />
          </div>
          <button
            type="button"
            data-slot="promote"
            className={classNames.promote}
            disabled={busy}
            onClick={() => void restore.promote(preview.preview.id, versionId)}
          >
            {strings.promote}
          </button>{' '}
          <button
            type="button"
            data-slot="discard"
            className={classNames.discard}
            disabled={busy}
            onClick={() => discard.mutate()}
          >
            {strings.discard}
          </button>
        </section>
      ) : (
        <button
          type="button"
          data-slot="open"
          className={classNames.open}
          disabled={busy}
          aria-label={`${strings.preview} ${label}`}
          onClick={() => open.mutate({ versionId })}
        >
          {strings.preview}
        </button>
      )}
      {open.isPending ? <p role="status">{strings.diffLoading}</p> : null}
      {error ? <p role="alert">{strings.errors[error.code] ?? error.message}</p> : null}
      <RestoreFlow restore={restore} label={label} />
    </div>
  );
}
