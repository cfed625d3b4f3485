import type { Version } from '@rewind/protocol';
import { measureElement, observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, type ReactNode, useEffect, useMemo, useRef } from 'react';
import { excerpt, relativeTime } from '../format';
import { type UseRestoreOptions, useRestore } from '../hooks/use-restore';
import { useDeleteVersion, useRenameVersion, useVersions } from '../hooks/use-versions';
import { useRewind } from '../provider';
import { RestoreFlow, type RestoreFlowSlot } from '../restore-button/restore-flow';

export type TimelineSlot =
  | 'timeline'
  | 'list'
  | 'item'
  | 'label'
  | 'prompt'
  | 'time'
  | 'badge'
  | 'fork'
  | 'actions'
  | 'action'
  | 'empty'
  | 'loading'
  | 'error';

export interface VersionTimelineProps extends UseRestoreOptions {
  /** Newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
  /** Which row actions to show (default restore, rename, delete; preview when `onPreview` is given). */
  actions?: Array<'restore' | 'preview' | 'rename' | 'delete'>;
  onPreview?: (version: Version) => void;
  /** Extra per-row content, e.g. a link to the code reference. */
  renderExtra?: (version: Version) => ReactNode;
  /** Estimated row height in px for virtualization (default 72). */
  estimateRowHeight?: number;
  unstyled?: boolean;
  className?: string;
  classNames?: Partial<Record<TimelineSlot | RestoreFlowSlot, string>>;
}

/**
 * The project's versions as an ordered list: label, prompt, time, the live one marked with
 * `aria-current`, expiry badges, forks, and row actions. Virtualized, so thousands of versions
 * scroll smoothly. One restore flow (dialog, progress, outcome) serves every row.
 */
export function VersionTimeline({
  order = 'newest',
  actions,
  onPreview,
  renderExtra,
  estimateRowHeight = 72,
  unstyled,
  className,
  classNames = {},
  ...restoreOptions
}: VersionTimelineProps) {
  const { strings } = useRewind();
  const versions = useVersions();
  const restore = useRestore(restoreOptions);
  const rename = useRenameVersion();
  const remove = useDeleteVersion();
  const scrollRef = useRef<HTMLDivElement>(null);
  const shown =
    actions ?? (onPreview ? ['restore', 'preview', 'rename', 'delete'] : ['restore', 'rename', 'delete']);

  const rows = useMemo(() => {
    const list = versions.data?.versions ?? [];
    return order === 'newest' ? [...list].reverse() : list;
  }, [versions.data, order]);
  const byId = useMemo(() => new Map(rows.map((v) => [v.id, v])), [rows]);
  // A fork: the version's parent is not its neighbour in time, so history branched there.
  const forks = useMemo(() => {
    const chronological = versions.data?.versions ?? [];
    const result = new Set<string>();
    chronological.forEach((version, index) => {
      const previous = chronological[index - 1];
      if (version.parentId && previous && version.parentId !== previous.id) result.add(version.id);
    });
    return result;
  }, [versions.data]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimateRowHeight,
    overscan: 8,
    // Without layout (server render, jsdom, a hidden tab) sizes read as 0: fall back to a
    // viewport and row estimate so rows still render, in a bounded window.
    initialRect: { width: 600, height: 600 },
    observeElementRect: (instance, callback) =>
      observeElementRect(instance, (rect) =>
        callback(rect.height > 0 ? rect : { width: rect.width || 600, height: 600 }),
      ),
    measureElement: (element, entry, instance) =>
      measureElement(element, entry, instance) || estimateRowHeight,
  });

  const active = versions.data?.activeRestore ?? null;
  useEffect(() => {
    if (active && restore.status === 'idle') void restore.attach(active.token, active.versionId);
  }, [active, restore.status, restore.attach]);

  const busy = restore.status === 'submitted' || restore.status === 'running';
  const restoringLabel = (restore.versionId && byId.get(restore.versionId)?.label) ?? '';
  const state = versions.isPending
    ? 'loading'
    : versions.isError
      ? 'error'
      : rows.length === 0
        ? 'empty'
        : 'ready';

  const onKeyDown = (event: KeyboardEvent<HTMLOListElement>) => {
    const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
    if (!keys.includes(event.key)) return;
    const item = (event.target as HTMLElement).closest<HTMLElement>('[data-slot="item"]');
    const index = item ? Number(item.dataset.index) : -1;
    const next =
      event.key === 'Home'
        ? 0
        : event.key === 'End'
          ? rows.length - 1
          : index + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= rows.length) return;
    event.preventDefault();
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() => {
      scrollRef.current?.querySelector<HTMLElement>(`[data-index="${next}"] [data-slot="action"]`)?.focus();
    });
  };

  return (
    <section
      data-rewind=""
      data-slot="timeline"
      data-state={state}
      data-unstyled={unstyled ? '' : undefined}
      aria-label={strings.timelineLabel}
      aria-busy={versions.isFetching || busy}
      className={[className, classNames.timeline].filter(Boolean).join(' ') || undefined}
    >
      {state === 'loading' ? (
        <p role="status" data-slot="loading" className={classNames.loading}>
          {strings.loading}
        </p>
      ) : null}
      {state === 'error' ? (
        <div role="alert" data-slot="error" className={classNames.error}>
          {versions.error ? (strings.errors[versions.error.code] ?? strings.loadFailed) : strings.loadFailed}{' '}
          <button type="button" data-slot="action" onClick={() => void versions.refetch()}>
            {strings.retry}
          </button>
        </div>
      ) : null}
      {state === 'empty' ? (
        <p data-slot="empty" className={classNames.empty}>
          {strings.empty}
        </p>
      ) : null}
      <div
        ref={scrollRef}
        data-slot="scroller"
        style={{ overflowY: 'auto', maxHeight: 'var(--rewind-timeline-height, 32rem)' }}
      >
        <ol
          data-slot="list"
          className={classNames.list}
          onKeyDown={onKeyDown}
          style={{
            position: 'relative',
            height: virtualizer.getTotalSize(),
            margin: 0,
            padding: 0,
            listStyle: 'none',
          }}
        >
          {virtualizer.getVirtualItems().map((item) => {
            const version = rows[item.index] as Version;
            const current = version.current;
            const parent = version.parentId ? byId.get(version.parentId) : undefined;
            return (
              <li
                key={version.id}
                ref={virtualizer.measureElement}
                data-index={item.index}
                data-slot="item"
                data-state={current ? 'current' : 'idle'}
                data-kind={version.kind}
                aria-current={current ? 'true' : undefined}
                aria-posinset={item.index + 1}
                aria-setsize={rows.length}
                className={classNames.item}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  width: '100%',
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <span data-slot="label" className={classNames.label}>
                  {version.label}
                </span>
                {current ? (
                  <span data-slot="badge" data-state="current" className={classNames.badge}>
                    {strings.current}
                  </span>
                ) : null}
                {version.kind === 'pre-restore' ? (
                  <span data-slot="badge" data-state="pre-restore" className={classNames.badge}>
                    {strings.preRestore}
                  </span>
                ) : null}
                {version.expiresAt ? (
                  <span data-slot="badge" data-state="expiry" className={classNames.badge}>
                    {strings.expires(relativeTime(version.expiresAt))}
                  </span>
                ) : null}
                {forks.has(version.id) && parent ? (
                  <span data-slot="fork" className={classNames.fork}>
                    {strings.forkedFrom(parent.label)}
                  </span>
                ) : null}
                {version.prompt ? (
                  <span data-slot="prompt" className={classNames.prompt}>
                    {excerpt(version.prompt)}
                  </span>
                ) : null}
                <time data-slot="time" dateTime={version.createdAt} className={classNames.time}>
                  {relativeTime(version.createdAt)}
                </time>
                {renderExtra?.(version)}
                <span data-slot="actions" className={classNames.actions}>
                  {shown.includes('restore') ? (
                    <button
                      type="button"
                      data-slot="action"
                      data-action="restore"
                      className={classNames.action}
                      disabled={busy || current}
                      aria-haspopup="dialog"
                      aria-label={`${strings.restore} ${version.label}`}
                      onClick={() => restore.confirm(version.id)}
                    >
                      {strings.restore}
                    </button>
                  ) : null}
                  {shown.includes('preview') && onPreview ? (
                    <button
                      type="button"
                      data-slot="action"
                      data-action="preview"
                      className={classNames.action}
                      disabled={busy}
                      aria-label={`${strings.preview} ${version.label}`}
                      onClick={() => onPreview(version)}
                    >
                      {strings.preview}
                    </button>
                  ) : null}
                  {shown.includes('rename') ? (
                    <button
                      type="button"
                      data-slot="action"
                      data-action="rename"
                      className={classNames.action}
                      aria-label={`${strings.rename} ${version.label}`}
                      onClick={() => {
                        const label = window.prompt(strings.renamePrompt, version.label)?.trim();
                        if (label && label !== version.label) rename.mutate({ id: version.id, label });
                      }}
                    >
                      {strings.rename}
                    </button>
                  ) : null}
                  {shown.includes('delete') ? (
                    <button
                      type="button"
                      data-slot="action"
                      data-action="delete"
                      className={classNames.action}
                      disabled={busy}
                      aria-label={`${strings.delete} ${version.label}`}
                      onClick={() => remove.mutate({ id: version.id })}
                    >
                      {strings.delete}
                    </button>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ol>
      </div>
      <RestoreFlow restore={restore} label={restoringLabel} classNames={classNames} />
    </section>
  );
}
