/**
 * An error the emulated Neon API answers with: the spec's `GeneralError` body
 * `{ code, message, request_id }` and a status. Neon's `code` is a free string that is
 * usually empty; the messages below are the real ones where we know them (neon-api.md §1).
 */
export class NeonError extends Error {
  override readonly name = 'NeonError';
  constructor(
    readonly status: number,
    message: string,
    readonly code = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const MESSAGES = {
  locked: 'project already has running conflicting operations, scheduling of new ones is prohibited',
  notReady: 'branch not ready yet',
  rateLimited: 'too many requests',
  unavailable: 'service temporarily unavailable',
  unauthorized: 'authentication required',
  pitrOnRestored: 'restore from snapshot on target branch is still ongoing',
} as const;

export const notFound = (what: string, id: string) => new NeonError(404, `${what} "${id}" not found`);
export const badRequest = (message: string) => new NeonError(400, message);
export const conflict = (message: string) => new NeonError(409, message);
export const unprocessable = (message: string) => new NeonError(422, message);
