import { RewindError } from '@rewind/protocol';

interface Issue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined;
}

/** Hook for `sValidator`: any schema failure becomes a typed `bad_request` with the issues. */
export function failValidation(result: { success: boolean; error?: readonly Issue[] }): void {
  if (result.success) return;
  const issues = (result.error ?? []).map((issue) => ({
    path: (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new RewindError(
    'bad_request',
    first ? `Invalid request: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'Invalid request',
    { details: { issues } },
  );
}
