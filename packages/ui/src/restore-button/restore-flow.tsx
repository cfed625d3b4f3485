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
  // Another component on the page shows this restore (it started it): only one place does.
  const shown = restore.presenting ? restore.status : 'idle';
  const running = shown === 'submitted' || shown === 'running';
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
        data-state={shown}
        className={classNames.status}
      >
        {shown === 'succeeded' ? (
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
        data-state={shown === 'failed' ? 'visible' : 'hidden'}
        className={classNames.alert}
      >
        {shown === 'failed' && restore.error
          ? (strings.errors[restore.error.code] ?? restore.error.message)
          : null}
      </div>
    </>
  );
}

/** What Tab may reach inside the dialog when it is not natively modal. */
const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * The confirmation, on a native `<dialog>` opened with `showModal()`: the page behind it is inert
 * (for pointer, keyboard and assistive technology), Escape is the dialog's own `cancel`, and the
 * browser returns focus to the opener. Where `showModal` is missing (jsdom, very old browsers)
 * it opens non-modally and keeps Tab inside itself.
 */
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
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const modal = useRef(false);
  const diff = useVersionDiff(restore.versionId);

  useEffect(() => {
    const dialog = dialogRef.current;
    opener.current = document.activeElement;
    if (dialog && typeof dialog.showModal === 'function') {
      if (!dialog.open) dialog.showModal();
      modal.current = true;
    } else dialog?.setAttribute('open', '');
    // Initial focus on the least destructive action.
    cancelRef.current?.focus();
    return () => {
      if (dialog?.open && typeof dialog.close === 'function') dialog.close();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key === 'Escape') {
      // Also for a modal dialog: Escape closes it however the key arrives (a synthetic event
      // from a test or an assistive tool triggers no native `cancel`).
      event.preventDefault();
      restore.cancel();
    } else if (event.key === 'Tab' && !modal.current) {
      // Natively modal, the browser keeps focus out of the inert page; otherwise we do.
      const items = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const first = items[0];
      const last = items.at(-1);
      if (!first || !last) return;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <dialog
      ref={dialogRef}
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      data-slot="dialog"
      data-state="open"
      className={classNames.dialog}
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        // Escape on a modal dialog: closing is the restore state's to decide (it unmounts us).
        event.preventDefault();
        restore.cancel();
      }}
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
          type="button"
          data-slot="confirm"
          className={classNames.confirm}
          onClick={() => void restore.start(restore.versionId ?? undefined)}
        >
          {strings.confirmRestore}
        </button>
      </div>
    </dialog>
  );
}
