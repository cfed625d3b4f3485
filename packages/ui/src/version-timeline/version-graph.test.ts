import type { Version } from '@rewind/protocol';
import { describe, expect, it } from 'vitest';
import { version } from '../test/fake-api';
import { layoutVersionGraph } from './version-graph';

// Display order is newest first, as the timeline shows it.
const newestFirst = (...versions: Version[]) => [...versions].reverse();

describe('layoutVersionGraph', () => {
  it('draws a straight history as one lane', () => {
    const graph = layoutVersionGraph(
      newestFirst(version('v1'), version('v2', { parentId: 'v1' }), version('v3', { parentId: 'v2' })),
    );
    expect(graph.lanes).toBe(1);
    expect(graph.rows).toEqual([
      { lane: 0, top: [], bottom: [[0, 0]] },
      { lane: 0, top: [[0, 0]], bottom: [[0, 0]] },
      { lane: 0, top: [[0, 0]], bottom: [] },
    ]);
  });

  it('gives the history abandoned by a rollback its own lane, joining at the fork point', () => {
    // v5 was made after restoring v1; v4 is the automatic version taken before that restore.
    const graph = layoutVersionGraph(
      newestFirst(
        version('v1'),
        version('v2', { parentId: 'v1' }),
        version('v3', { parentId: 'v2' }),
        version('v4', { parentId: 'v3', kind: 'pre-restore' }),
        version('v5', { parentId: 'v1' }),
      ),
    );
    expect(graph.lanes).toBe(2);
    expect(graph.rows).toEqual([
      { lane: 0, top: [], bottom: [[0, 0]] }, // v5
      {
        lane: 1,
        top: [[0, 0]],
        bottom: [
          [0, 0],
          [1, 1],
        ],
      }, // v4 opens lane 1
      {
        lane: 1,
        top: [
          [0, 0],
          [1, 1],
        ],
        bottom: [
          [0, 0],
          [1, 1],
        ],
      }, // v3
      {
        lane: 1,
        top: [
          [0, 0],
          [1, 1],
        ],
        bottom: [
          [0, 0],
          [1, 1],
        ],
      }, // v2
      {
        lane: 0,
        top: [
          [0, 0],
          [1, 0],
        ],
        bottom: [],
      }, // v1: lane 1 bends into lane 0
    ]);
  });

  it('ends a lane whose parent is missing or not below it, instead of drawing to nowhere', () => {
    const graph = layoutVersionGraph(
      newestFirst(version('v1', { parentId: 'v3' }), version('v2', { parentId: 'deleted' }), version('v3')),
    );
    expect(graph.rows.map((row) => row.bottom)).toEqual([[], [], []]);
    expect(graph.rows.map((row) => row.lane)).toEqual([0, 0, 0]);
  });

  it('reuses a freed column for the next new lane, leaving running lanes where they are', () => {
    // Newest first: A, B, C open lanes 0-2; M (B's parent, a root itself) frees column 1 while
    // column 2 still runs; D, a new tip, takes column 1 again.
    const graph = layoutVersionGraph([
      version('A', { parentId: 'root' }),
      version('B', { parentId: 'M' }),
      version('C', { parentId: 'root' }),
      version('M'),
      version('D', { parentId: 'root' }),
      version('root'),
    ]);
    expect(graph.rows.map((row) => row.lane)).toEqual([0, 1, 2, 1, 1, 0]);
    expect(graph.rows[3]?.bottom).toEqual([
      [0, 0],
      [2, 2],
    ]);
    expect(graph.rows[5]?.top).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(graph.lanes).toBe(3);
  });

  it('clamps very bushy histories to maxLanes columns', () => {
    const tips = Array.from({ length: 10 }, (_, i) => version(`t${i}`, { parentId: 'root' }));
    const graph = layoutVersionGraph(newestFirst(version('root'), ...tips), 4);
    expect(graph.lanes).toBe(4);
    expect(
      Math.max(...graph.rows.flatMap((row) => [row.lane, ...row.top.flat(), ...row.bottom.flat()])),
    ).toBe(3);
    // Every tip's lane joins the root's node.
    expect(graph.rows.at(-1)?.top).toHaveLength(10);
  });

  it('lays out 10,000 versions with forks in one pass', () => {
    const versions = Array.from({ length: 10_000 }, (_, i) =>
      version(`v${i}`, { parentId: i === 0 ? null : `v${i % 50 === 0 ? i - 10 : i - 1}` }),
    );
    const graph = layoutVersionGraph(newestFirst(...versions));
    expect(graph.rows).toHaveLength(10_000);
    expect(graph.lanes).toBe(2);
  });
});
