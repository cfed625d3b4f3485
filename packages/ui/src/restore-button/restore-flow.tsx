import { type KeyboardEvent, useEffect, useId, useRef } from 'react';
import type { UseRestoreResult } from '../hooks/use-restore';
import { useVersionDiff } from '../hooks/use-versions';
import { useRewind } from '../provider';
import { DiffSummary } from './diff-summary';

export type RestoreFlowSlot =
  | 'dialog'
  | 'dialog-title'
  | 'dialog-body'
  | 'diff'
  | 'diff-table'
  | 'not-undoable'
  | 'cancel'
  | 'confirm'
  | 'progress'
  | 'progress-bar'
  | 'progress-label'
  | 'status'
  | 'alert'
  | 'undo';

export interface RestoreFlowProps {
  restore: UseRestoreResult;
  /** Label of the version being restored, for the dialog and the status line. */
  label: string;
  classNames?: Partial<Record<RestoreFlowSlot, string>>;
}

/**
 * Everything a restore shows after the trigger: the confirmation `alertdialog` with the schema
 * diff, the `progressbar` with real phases, the polite `status` with Undo, the `alert` on failure.
 */
export function RestoreFlow({ restore, label, classNames = {} }: RestoreFlowProps) {
  const { strings } = useRewind();
  const running = restore.status === 'submitted' || restore.status === 'running';
  const percent = Math.round(restore.progress * 100);
  const phaseText = restore.phase ? strings.phase[restore.phase] : strings.phase.starting;
  return (
    <>
      {restore.status === 'confirming' && restore.versionId ? (
        <ConfirmDialog restore={restore} label={label} classNames={classNames} />
      ) : null}
      {running ? (
        <div data-slot="progress" data-state={restore.connection} className={classNames.progress}>
          <div
            role="progressbar"
            aria-label={strings.progressLabel}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            aria-valuetext={`${phaseText} ${percent}%`}
            data-slot="progress-bar"
            className={classNames['progress-bar']}
            style={{ ['--rewind-progress' as string]: String(restore.progress) }}
          />
          <span data-slot="progress-label" className={classNames['progress-label']}>
            {restore.connection === 'reconnecting'
              ? strings.reconnecting
              : restore.attached
                ? strings.attached
                : phaseText}
          </span>
        </div>
      ) : null}
      {/* Live regions exist before their text changes, so screen readers announce it. */}
      <div
        role="status"
        aria-live="polite"
        data-slot="status"
        data-state={restore.status}
        className={classNames.status}
      >
        {restore.status === 'succeeded' ? (
          <>
            {strings.succeeded(label)}{' '}
            {restore.undoVersionId ? (
              <button
                type="button"
                data-slot="undo"
                className={classNames.undo}
                onClick={() => void restore.undo()}
              >
                {strings.undo}
              </button>
            ) : null}
          </>
        ) : null}
      </div>
      <div
        role="alert"
        data-slot="alert"
        data-state={restore.status === 'failed' ? 'visible' : 'hidden'}
        className={classNames.alert}
      >
        {restore.status === 'failed' && restore.error
          ? (strings.errors[restore.error.code] ?? restore.error.message)
          : null}
      </div>
    </>
  );
}

function ConfirmDialog({
  restore,
  label,
  classNames,
}: Required<Pick<RestoreFlowProps, 'restore' | 'label'>> & {
  classNames: Partial<Record<RestoreFlowSlot, string>>;
}) {
  const { strings } = useRewind();
  const titleId = useId();
  const bodyId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const diff = useVersionDiff(restore.versionId);

  useEffect(() => {
    opener.current = document.activeElement;
    // Initial focus on the least destructive action.
    cancelRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      restore.cancel();
    } else if (event.key === 'Tab') {
      // A modal dialog keeps focus inside: cycle between its two buttons.
      event.preventDefault();
      (document.activeElement === cancelRef.current ? confirmRef.current : cancelRef.current)?.focus();
    }
  };

  return (
    <div data-slot="dialog-backdrop" data-state="open">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        data-slot="dialog"
        data-state="open"
        className={classNames.dialog}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} data-slot="dialog-title" className={classNames['dialog-title']}>
          {strings.confirmTitle(label)}
        </h2>
        <div id={bodyId} data-slot="dialog-body" className={classNames['dialog-body']}>
          <p>{strings.confirmBody}</p>
          <div
            data-slot="diff"
            data-state={diff.isPending ? 'loading' : diff.isError ? 'error' : 'ready'}
            className={classNames.diff}
          >
            {diff.isPending ? (
              <p>{strings.diffLoading}</p>
            ) : diff.isError ? null : (
              <DiffSummary diff={diff.data} tableClassName={classNames['diff-table']} />
            )}
          </div>
          {diff.data?.undoable === false ? (
            <p data-slot="not-undoable" className={classNames['not-undoable']}>
              {strings.notUndoable}
            </p>
          ) : null}
        </div>
        <div data-slot="dialog-actions">
          <button
            ref={cancelRef}
            type="button"
            data-slot="cancel"
            className={classNames.cancel}
            onClick={restore.cancel}
          >
            {strings.cancel}
          </button>
          <button
            ref={confirmRef}
            type="button"
            data-slot="confirm"
            className={classNames.confirm}
            onClick={() => void restore.start(restore.versionId ?? undefined)}
          >
            {strings.confirmRestore}
          </button>
        </div>
      </div>
    </div>
  );
}
