import { measureElement, observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import type { CSSProperties, KeyboardEvent, ReactNode, Ref, RefObject } from 'react';

export interface VirtualListProps {
  count: number;
  estimateRowHeight: number;
  scrollRef: RefObject<HTMLDivElement | null>;
  /** Filled with a function that scrolls a row into view (keyboard navigation). */
  scrollTo: { current: (index: number) => void };
  className: string | undefined;
  onKeyDown: (event: KeyboardEvent<HTMLOListElement>) => void;
  renderRow: (index: number, style: CSSProperties, ref: Ref<HTMLLIElement>) => ReactNode;
}

/** The window of a long history: only the rows in view (plus overscan) are in the DOM. */
export default function VirtualList({
  count,
  estimateRowHeight,
  scrollRef,
  scrollTo,
  className,
  onKeyDown,
  renderRow,
}: VirtualListProps) {
  const virtualizer = useVirtualizer({
    count,
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
  scrollTo.current = (index) => virtualizer.scrollToIndex(index);
  return (
    <ol
      data-slot="list"
      data-state="virtual"
      className={className}
      onKeyDown={onKeyDown}
      style={{
        position: 'relative',
        height: virtualizer.getTotalSize(),
        margin: 0,
        padding: 0,
        listStyle: 'none',
      }}
    >
      {virtualizer.getVirtualItems().map((item) =>
        renderRow(
          item.index,
          {
            position: 'absolute',
            top: 0,
            left: 0,
            width: '100%',
            transform: `translateY(${item.start}px)`,
          },
          virtualizer.measureElement,
        ),
      )}
    </ol>
  );
}
