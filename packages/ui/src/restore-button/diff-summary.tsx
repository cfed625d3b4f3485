import type { SchemaDiff } from '@rewind/protocol';
import { useRewind } from '../provider';

/**
 * A schema diff, table by table: what a restore changes (the confirmation, the preview), or what
 * a version changed against its parent (a timeline row).
 */
export function DiffSummary({
  diff,
  tableClassName,
  wording = 'restore',
}: {
  diff: SchemaDiff;
  tableClassName?: string | undefined;
  wording?: 'restore' | 'changes';
}) {
  const { strings } = useRewind();
  const none = wording === 'restore' ? strings.diffNone : strings.changesNone;
  const tableText = wording === 'restore' ? strings.diffTable : strings.changeTable;
  if (diff.tables.length === 0 && diff.complete !== false) return <p>{none}</p>;
  return (
    <>
      <ul>
        {diff.tables.map((table) => {
          const details = (['columns', 'constraints', 'indexes'] as const)
            .map((kind) => {
              const key = kind === 'columns' ? 'Columns' : kind === 'constraints' ? 'Constraints' : 'Indexes';
              // `?? []`: a server of an earlier release sends columns only.
              return strings.diffItems(
                kind,
                table[`added${key}`] ?? [],
                table[`removed${key}`] ?? [],
                table[`changed${key}`] ?? [],
              );
            })
            .filter(Boolean)
            .join('; ');
          return (
            <li key={table.name} data-slot="diff-table" data-state={table.change} className={tableClassName}>
              {tableText(table.name, table.change)}
              {details ? ` (${details})` : ''}
            </li>
          );
        })}
      </ul>
      {diff.complete === false ? <p data-slot="diff-incomplete">{strings.diffIncomplete}</p> : null}
    </>
  );
}
