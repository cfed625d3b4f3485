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
  if (diff.tables.length === 0) return <p>{strings.diffNone}</p>;
  return (
    <ul>
      {diff.tables.map((table) => (
        <li key={table.name} data-slot="diff-table" data-state={table.change} className={tableClassName}>
          {strings.diffTable(table.name, table.change)}
          {table.addedColumns.length + table.removedColumns.length > 0
            ? ` (${strings.diffColumns(table.addedColumns, table.removedColumns)})`
            : ''}
        </li>
      ))}
    </ul>
  );
}
