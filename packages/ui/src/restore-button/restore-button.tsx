import { useEffect } from 'react';
import { type UseRestoreOptions, useRestore } from '../hooks/use-restore';
import { useVersions } from '../hooks/use-versions';
import { useRewind } from '../provider';
import { RestoreFlow, type RestoreFlowSlot } from './restore-flow';

export interface RestoreButtonProps extends UseRestoreOptions {
  versionId: string;
  /** The version's label, for the dialog and the outcome. */
  label: string;
  unstyled?: boolean;
  className?: string;
  classNames?: Partial<Record<RestoreFlowSlot | 'trigger', string>>;
  children?: React.ReactNode;
}

/**
 * A button that restores one version: confirm (with what will change), live progress, outcome,
 * Undo. Disabled and following along while another restore of the project runs.
 *
 * @example
 * <RestoreButton versionId={version.id} label={version.label} onRestored={() => reloadApp()} />
 */
export function RestoreButton({
  versionId,
  label,
  unstyled,
  className,
  classNames = {},
  children,
  ...options
}: RestoreButtonProps) {
  const { strings } = useRewind();
  const restore = useRestore(options);
  const versions = useVersions();
  const active = versions.data?.activeRestore ?? null;
  const busy = restore.status === 'submitted' || restore.status === 'running';

  useEffect(() => {
    // Another tab or user is restoring this project: follow it rather than offer a second one.
    if (active && restore.status === 'idle' && options.resume !== false)
      void restore.attach(active.token, active.versionId);
  }, [active, restore.status, restore.attach, options.resume]);

  return (
    <div
      data-rewind=""
      data-slot="restore-button"
      data-state={restore.status}
      data-unstyled={unstyled ? '' : undefined}
      className={className}
    >
      <button
        type="button"
        data-slot="trigger"
        data-state={restore.status}
        className={classNames.trigger}
        disabled={busy || (active !== null && restore.status === 'idle')}
        aria-haspopup="dialog"
        onClick={() => restore.confirm(versionId)}
      >
        {children ?? strings.restore}
      </button>
      <RestoreFlow restore={restore} label={label} classNames={classNames} />
    </div>
  );
}
