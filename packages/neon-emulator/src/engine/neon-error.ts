/**
 * An error the emulated Neon API answers with: the spec's `GeneralError` body
 * `{ code, message, request_id }` and a status. Neon's `code` is a free string, often empty; where
 * public evidence quotes one it is sent (422 `BRANCHES_LIMIT_EXCEEDED`, which neonctl itself tests
 * for in `commands/bootstrap.ts`; `ROOT_BRANCHES_LIMIT_EXCEEDED`, `PROJECTS_LIMIT_EXCEEDED`, both
 * quoted from live responses in public CI logs). 404s read like Neon's, "branch not found", with no
 * id (kislerdm/terraform-provider-neon#154: `[HTTP Code: 404][Error Code: ] branch not found`).
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

export const notFound = (what: string, _id?: string) => new NeonError(404, `${what} not found`);
export const badRequest = (message: string) => new NeonError(400, message);
export const conflict = (message: string) => new NeonError(409, message);
export const unprocessable = (message: string, code = '') => new NeonError(422, message, code);
