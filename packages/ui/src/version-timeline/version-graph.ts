import type { Version } from '@rewind/protocol';

/**
 * A line in one half of a row: from a lane at the row's edge (top edge for the upper half,
 * bottom edge for the lower one) to a lane at the row's middle, where the node sits.
 * `[3, 3]` is a straight line in lane 3; `[3, 0]` bends from lane 3 into lane 0.
 */
export type GraphLine = readonly [edge: number, middle: number];

/** How one timeline row draws its part of the version graph. */
export interface GraphRow {
  /** The lane of this version's node. */
  lane: number;
  /** Lines in the upper half of the row. */
  top: GraphLine[];
  /** Lines in the lower half of the row. */
  bottom: GraphLine[];
}

export interface VersionGraph {
  rows: GraphRow[];
  /** Lanes the widest row needs: the gutter is this wide on every row, so labels line up. */
  lanes: number;
}

/**
 * Lay out the version tree (`parentId` links) as lanes, the way `git log --graph` does: each
 * version sits in a lane that runs down to its parent; a version made after a rollback opens
 * its own lane, which joins its parent's lane at the parent's row. Lanes keep their column
 * while they run, so lines stay straight, and a freed column is reused by the next new lane.
 *
 * `rows` is in display order, newest first; a parent that is not below its child (missing,
 * deleted, or out of order) ends the lane there instead of drawing a line to nowhere. O(rows × lanes).
 */
export function layoutVersionGraph(rows: readonly Version[], maxLanes = 6): VersionGraph {
  const position = new Map(rows.map((version, index) => [version.id, index]));
  // lanes[i]: the version id lane i runs down to, or null when the column is free.
  const lanes: Array<string | null> = [];
  const result: GraphRow[] = [];
  let widest = 1;
  const clamp = (lane: number) => Math.min(lane, maxLanes - 1);

  rows.forEach((version, index) => {
    const top: GraphLine[] = [];
    let lane = lanes.indexOf(version.id);
    if (lane === -1) lane = lanes.indexOf(null) === -1 ? lanes.length : lanes.indexOf(null);
    lanes.forEach((waitingFor, column) => {
      if (waitingFor === null) return;
      top.push([clamp(column), clamp(waitingFor === version.id ? lane : column)]);
      // Every lane that ran down to this version ends here; the node's lane goes on below.
      if (waitingFor === version.id) lanes[column] = null;
    });
    const parent = version.parentId;
    lanes[lane] = parent !== null && (position.get(parent) ?? -1) > index ? parent : null;
    while (lanes.length > 0 && lanes[lanes.length - 1] === null) lanes.pop();
    const bottom: GraphLine[] = [];
    lanes.forEach((waitingFor, column) => {
      if (waitingFor !== null) bottom.push([clamp(column), clamp(column)]);
    });
    widest = Math.max(widest, lane + 1, lanes.length, ...top.map(([edge]) => edge + 1));
    result.push({ lane: clamp(lane), top, bottom });
  });
  return { rows: result, lanes: Math.min(widest, maxLanes) };
}
