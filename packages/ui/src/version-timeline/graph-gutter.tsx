import type { GraphLine, GraphRow } from './version-graph';

// Geometry in px. The node sits level with the row's label, however tall the row grows: bends
// live in a fixed band next to the node and straight lines run on to the row's edge in percent,
// which SVG allows for lines but not for paths.
const LANE = 14;
const NODE_Y = 19;
const BEND = 16;
const x = (lane: number) => lane * LANE + LANE / 2;

function TopLine({ line: [edge, middle] }: { line: GraphLine }) {
  return edge === middle ? (
    <line x1={x(edge)} y1={0} x2={x(edge)} y2={NODE_Y} />
  ) : (
    <path d={`M${x(edge)} 0C${x(edge)} ${NODE_Y} ${x(middle)} 0 ${x(middle)} ${NODE_Y}`} />
  );
}

function BottomLine({ line: [edge, middle] }: { line: GraphLine }) {
  const bent = edge !== middle;
  const y = bent ? NODE_Y + BEND : NODE_Y;
  return (
    <>
      {bent ? (
        <path d={`M${x(middle)} ${NODE_Y}C${x(middle)} ${y} ${x(edge)} ${NODE_Y} ${x(edge)} ${y}`} />
      ) : null}
      <line x1={x(edge)} y1={y} x2={x(edge)} y2="100%" />
    </>
  );
}

/** The version graph's part in one timeline row: decorative, the fork is also said in words. */
export function GraphGutter({
  row,
  lanes,
  state,
  className,
}: {
  row: GraphRow;
  lanes: number;
  state: string;
  className: string | undefined;
}) {
  return (
    <svg
      aria-hidden="true"
      focusable="false"
      data-slot="graph"
      data-state={state}
      data-lane={row.lane}
      className={className}
      width={lanes * LANE}
      height={NODE_Y * 2}
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
    >
      {row.top.map((line) => (
        <TopLine key={`t${line}`} line={line} />
      ))}
      {row.bottom.map((line) => (
        <BottomLine key={`b${line}`} line={line} />
      ))}
      <circle data-slot="graph-node" cx={x(row.lane)} cy={NODE_Y} r={4.5} fill="currentColor" />
    </svg>
  );
}
