import type { SchemaDiff } from '@rewind/protocol';
import { useRewind } from '../provider';

/** What a restore changes, table by table: shared by the confirmation and the preview. */
export function DiffSummary({
  diff,
  tableClassName,
}: {
  diff: SchemaDiff;
  tableClassName?: string | undefined;
}) {
  const { strings } = useRewind();
  if (diff.tables.length === 0 && diff.complete !== false) return <p>{strings.diffNone}</p>;
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
              {strings.diffTable(table.name, table.change)}
              {details ? ` (${details})` : ''}
            </li>
          );
        })}
      </ul>
      {diff.complete === false ? <p data-slot="diff-incomplete">{strings.diffIncomplete}</p> : null}
    </>
  );
}
