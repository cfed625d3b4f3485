import type { RestoreEntry, Version } from '@rewind/protocol';
import {
  type CSSProperties,
  type KeyboardEvent,
  lazy,
  type ReactNode,
  type Ref,
  Suspense,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { excerpt, relativeTime } from '../format';
import { type UseRestoreOptions, useRestore } from '../hooks/use-restore';
import {
  useDeleteVersion,
  useRenameVersion,
  useVersionChanges,
  useVersions,
  visibleVersions,
} from '../hooks/use-versions';
import { useRewind } from '../provider';
import { DiffSummary } from '../restore-button/diff-summary';
import { RestoreFlow, type RestoreFlowSlot } from '../restore-button/restore-flow';
import { GraphGutter } from './graph-gutter';
import { type GraphRow, layoutVersionGraph } from './version-graph';

export type TimelineSlot =
  | 'timeline'
  | 'list'
  | 'item'
  | 'label'
  | 'rename-input'
  | 'prompt'
  | 'changes'
  | 'time'
  | 'badge'
  | 'fork'
  | 'restore-event'
  | 'graph'
  | 'actions'
  | 'action'
  | 'empty'
  | 'loading'
  | 'error';

// Histories longer than this load the virtualizer (its own chunk) and render a window of rows.
const VIRTUALIZE_AFTER = 100;
const LIST_STYLE: CSSProperties = { margin: 0, padding: 0, listStyle: 'none' };
const VirtualList = lazy(() => import('./virtual-list'));

export type TimelineAction = 'restore' | 'preview' | 'rename' | 'delete';

export interface VersionTimelineProps extends UseRestoreOptions {
  /** Newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
  /** Which row actions to show (default restore, rename, delete; preview when `onPreview` is given). */
  actions?: TimelineAction[];
  onPreview?: (version: Version) => void;
  /**
   * Replaces the built-in rename (`PATCH /versions/:id`), e.g. to rename through your own API.
   * Called when the inline editor is saved with Enter and a new, non-empty label.
   */
  onRename?: (version: Version, label: string) => void | Promise<void>;
  /** Extra per-row content, e.g. a link to the code reference. */
  renderExtra?: (version: Version) => ReactNode;
  /**
   * List the automatic undo points as rows too (default false: each belongs to its restore
   * event, and shows only while current, as "v3 + later changes", or when built on).
   */
  showBackups?: boolean;
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
  onRename,
  renderExtra,
  showBackups = false,
  estimateRowHeight = 72,
  unstyled,
  className,
  classNames = {},
  ...restoreOptions
}: VersionTimelineProps) {
  const { strings } = useRewind();
  // Every version (labels of restore events name undo points too); rows filter below.
  const versions = useVersions({ showBackups: true });
  const restore = useRestore(restoreOptions);
  const rename = useRenameVersion();
  const remove = useDeleteVersion();
  const scrollRef = useRef<HTMLDivElement>(null);
  // The row whose label is being edited inline (Enter saves, Escape or leaving cancels).
  const [editing, setEditing] = useState<string | null>(null);
  const finishEditing = (version: Version, label: string | null) => {
    setEditing(null);
    const next = label?.trim();
    if (next && next !== version.label) {
      if (onRename) void Promise.resolve(onRename(version, next));
      else rename.mutate({ id: version.id, label: next });
    }
    // Back to the row's Rename button, where the user started.
    requestAnimationFrame(() => {
      scrollRef.current
        ?.querySelector<HTMLElement>(`[data-version-id="${CSS.escape(version.id)}"] [data-action="rename"]`)
        ?.focus();
    });
  };
  const shown =
    actions ?? (onPreview ? ['restore', 'preview', 'rename', 'delete'] : ['restore', 'rename', 'delete']);

  const all = versions.data?.versions;
  const chronological = useMemo(() => visibleVersions(all ?? [], showBackups), [all, showBackups]);
  const newestFirst = useMemo(() => [...chronological].reverse(), [chronological]);
  const rows = order === 'newest' ? newestFirst : chronological;
  const labels = useMemo(() => new Map((all ?? []).map((v) => [v.id, v.label])), [all]);
  const events = useMemo(
    () => restoreEventsByRow(chronological, versions.data?.restores ?? []),
    [chronological, versions.data],
  );
  // Laid out newest first (children above parents); oldest first is the same drawing upside down.
  const graph = useMemo(() => {
    const layout = layoutVersionGraph(newestFirst);
    if (order === 'newest') return layout;
    const flipped = layout.rows.map(({ lane, top, bottom }) => ({ lane, top: bottom, bottom: top }));
    return { lanes: layout.lanes, rows: flipped.reverse() };
  }, [newestFirst, order]);
  const byId = useMemo(() => new Map(rows.map((v) => [v.id, v])), [rows]);
  // A fork: the version's parent is not its neighbour in time, so history branched there.
  const forks = useMemo(() => {
    const result = new Set<string>();
    chronological.forEach((version, index) => {
      const previous = chronological[index - 1];
      if (version.parentId && previous && version.parentId !== previous.id) result.add(version.id);
    });
    return result;
  }, [chronological]);

  const scrollTo = useRef<(index: number) => void>(() => undefined);

  const active = versions.data?.activeRestore ?? null;
  useEffect(() => {
    if (active && restore.status === 'idle') void restore.attach(active.token, active.versionId);
  }, [active, restore.status, restore.attach]);

  const busy = restore.status === 'submitted' || restore.status === 'running';
  const restoringLabel = (restore.versionId && labels.get(restore.versionId)) || '';
  const latest = versions.data?.restores?.[0];
  const undoable = !!latest?.undoVersionId && latest.undoVersionId === versions.data?.undoVersionId;

  const renderEvents = (version: Version) =>
    events.get(version.id)?.map((entry) => {
      const undone = versions.data?.restores?.some(
        (e) => e.kind === 'undo' && e.versionId === entry.undoVersionId,
      );
      const label = labels.get(entry.currentAfterId) ?? '';
      const text = entry.kind === 'undo' ? strings.undoneTo(label) : strings.restoredTo(label);
      const verb = entry.kind === 'undo' ? strings.redo : strings.undo;
      return (
        <div
          key={entry.id}
          data-slot="restore-event"
          data-kind={entry.kind}
          data-state={undone ? 'undone' : 'done'}
          className={classNames['restore-event']}
        >
          {text}
          {' · '}
          <time dateTime={entry.finishedAt}>{relativeTime(entry.finishedAt)}</time>
          {undone ? ` · ${strings.undone}` : null}
          {entry === latest && undoable ? (
            <>
              {' · '}
              <button
                type="button"
                data-slot="action"
                data-action="undo"
                disabled={busy}
                aria-label={`${verb}: ${text}`}
                onClick={() => void restore.undo()}
              >
                {verb}
              </button>
            </>
          ) : null}
        </div>
      );
    });
  const state = versions.isPending
    ? 'loading'
    : versions.isError
      ? 'error'
      : rows.length === 0
        ? 'empty'
        : 'ready';

  const act = (action: TimelineAction, version: Version) => {
    if (action === 'restore') restore.confirm(version.id);
    else if (action === 'preview') onPreview?.(version);
    else if (action === 'delete') remove.mutate({ id: version.id });
    else setEditing(version.id);
  };

  const renderRow = (index: number, style?: CSSProperties, ref?: Ref<HTMLLIElement>) => {
    const version = rows[index] as Version;
    const current = version.current;
    const parent = version.parentId ? byId.get(version.parentId) : undefined;
    return (
      <li
        key={version.id}
        ref={ref}
        data-index={index}
        data-slot="item"
        data-state={current ? 'current' : 'idle'}
        data-kind={version.kind}
        data-version-id={version.id}
        aria-current={current ? 'true' : undefined}
        aria-posinset={index + 1}
        aria-setsize={rows.length}
        className={classNames.item}
        style={style}
      >
        {order === 'newest' ? renderEvents(version) : null}
        <GraphGutter
          row={graph.rows[index] as GraphRow}
          lanes={graph.lanes}
          state={current ? 'current' : version.kind}
          className={classNames.graph}
        />
        {editing === version.id ? (
          <input
            data-slot="rename-input"
            className={classNames['rename-input']}
            aria-label={`${strings.renamePrompt}: ${version.label}`}
            defaultValue={version.label}
            maxLength={200}
            // biome-ignore lint/a11y/noAutofocus: the user asked to edit this label just now.
            autoFocus
            onFocus={(event) => event.currentTarget.select()}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                finishEditing(version, event.currentTarget.value);
              } else if (event.key === 'Escape') {
                event.preventDefault();
                finishEditing(version, null);
              }
            }}
            onBlur={() => setEditing(null)}
          />
        ) : (
          <span data-slot="label" className={classNames.label}>
            {version.label}
          </span>
        )}
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
        <VersionChanges version={version} className={classNames.changes} />
        <time data-slot="time" dateTime={version.createdAt} className={classNames.time}>
          {relativeTime(version.createdAt)}
        </time>
        {renderExtra?.(version)}
        <span data-slot="actions" className={classNames.actions}>
          {shown.map((action) =>
            action === 'preview' && !onPreview ? null : (
              <button
                key={action}
                type="button"
                data-slot="action"
                data-action={action}
                className={classNames.action}
                disabled={action === 'rename' ? false : busy || (action === 'restore' && current)}
                aria-haspopup={action === 'restore' ? 'dialog' : undefined}
                aria-label={`${strings[action]} ${version.label}`}
                onClick={() => act(action, version)}
              >
                {strings[action]}
              </button>
            ),
          )}
        </span>
        {order === 'oldest' ? renderEvents(version) : null}
      </li>
    );
  };

  const onKeyDown = (event: KeyboardEvent<HTMLOListElement>) => {
    const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
    // Keys typed into the inline editor are the editor's.
    if (!keys.includes(event.key) || (event.target as HTMLElement).tagName === 'INPUT') return;
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
    scrollTo.current(next);
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
        style={{
          overflowY: 'auto',
          maxHeight: 'var(--rewind-timeline-height, 32rem)',
          ['--rewind-graph-lanes' as string]: graph.lanes,
        }}
      >
        {rows.length > VIRTUALIZE_AFTER ? (
          <Suspense fallback={null}>
            <VirtualList
              count={rows.length}
              estimateRowHeight={estimateRowHeight}
              scrollRef={scrollRef}
              scrollTo={scrollTo}
              className={classNames.list}
              onKeyDown={onKeyDown}
              renderRow={renderRow}
            />
          </Suspense>
        ) : (
          <ol data-slot="list" className={classNames.list} onKeyDown={onKeyDown} style={LIST_STYLE}>
            {rows.map((_, index) => renderRow(index))}
          </ol>
        )}
      </div>
      <RestoreFlow restore={restore} label={restoringLabel} classNames={classNames} />
    </section>
  );
}

/**
 * Each restore placed after the newest shown version made before it started (newest first):
 * the timeline draws it between that version and the next one.
 */
function restoreEventsByRow(chronological: Version[], restores: RestoreEntry[]) {
  const byRow = new Map<string, RestoreEntry[]>();
  for (const entry of restores) {
    let low = 0;
    let high = chronological.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((chronological[mid] as Version).createdAt <= entry.startedAt) low = mid + 1;
      else high = mid;
    }
    const anchor = chronological[low - 1];
    if (anchor) byRow.set(anchor.id, [...(byRow.get(anchor.id) ?? []), entry]);
  }
  return byRow;
}

/** A row's "What changed", collapsed by default; fetched the first time it is opened. */
function VersionChanges({ version, className }: { version: Version; className?: string | undefined }) {
  const { strings } = useRewind();
  const [opened, setOpened] = useState(false);
  const changes = useVersionChanges(version.id, opened);
  return (
    <details
      data-slot="changes"
      data-state={!opened ? 'closed' : changes.isPending ? 'loading' : 'ready'}
      className={className}
      onToggle={(event) => {
        if (event.currentTarget.open) setOpened(true);
      }}
    >
      <summary>{strings.changesLabel}</summary>
      {!opened ? null : changes.isPending ? (
        <p>{strings.diffLoading}</p>
      ) : changes.isError || changes.data === null ? (
        <p>{strings.changesUnknown}</p>
      ) : (
        <DiffSummary diff={changes.data} wording="changes" />
      )}
    </details>
  );
}
