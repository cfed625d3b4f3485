import { RewindError } from '@rewind/protocol';

/** A non-2xx answer from the Neon API, before it is mapped to a RewindError. */
export class NeonHttpError extends Error {
  override readonly name = 'NeonHttpError';
  constructor(
    readonly status: number,
    readonly neonMessage: string,
    readonly retryAfter: string | null,
    readonly requestId: string | undefined,
    /** Neon's machine-readable `code`: often empty, sometimes e.g. `BRANCHES_LIMIT_EXCEEDED`. */
    readonly neonCode = '',
  ) {
    super(`Neon API answered ${status}: ${neonMessage}`);
  }
}

// Neon's codes for an exhausted quota, as live responses quote them, and the quota each names.
// The snapshot quota's code is not on public record; its message ("snapshots limit exceeded")
// is matched instead.
const QUOTA_CODES: Record<string, Quota> = {
  BRANCHES_LIMIT_EXCEEDED: 'branches',
  ROOT_BRANCHES_LIMIT_EXCEEDED: 'root_branches',
  PROJECTS_LIMIT_EXCEEDED: 'projects',
  SNAPSHOTS_LIMIT_EXCEEDED: 'snapshots',
};

/** Which Neon quota a `quota_exceeded` error is about (`details.quota`). */
export type Quota = 'branches' | 'root_branches' | 'projects' | 'snapshots' | 'unknown';

/** Code first; the message text only when Neon sent no code. */
function quotaOf(error: NeonHttpError): Quota | undefined {
  const byCode = QUOTA_CODES[error.neonCode];
  if (byCode) return byCode;
  if (error.neonCode !== '') return undefined;
  const text = error.neonMessage.toLowerCase();
  if (!/limit|quota/.test(text)) return undefined;
  if (text.includes('root branch')) return 'root_branches';
  if (text.includes('snapshot')) return 'snapshots';
  if (text.includes('branch')) return 'branches';
  if (text.includes('project')) return 'projects';
  return 'unknown';
}

/**
 * Map a Neon failure to Rewind's typed error. Messages come from Neon's error body (which
 * carries no secrets); the API key is never echoed.
 */
export function toRewindError(error: unknown, what: string): RewindError {
  if (RewindError.is(error)) return error;
  if (error instanceof NeonHttpError) {
    const details = {
      neonStatus: error.status,
      ...(error.neonCode ? { neonCode: error.neonCode } : {}),
      ...(error.requestId ? { neonRequestId: error.requestId } : {}),
    };
    const message = `${what}: ${error.neonMessage}`;
    switch (error.status) {
      case 404:
        return new RewindError('not_found', message, { details, cause: error });
      case 409:
      case 422: {
        const quota = quotaOf(error);
        if (quota)
          return new RewindError('quota_exceeded', message, { details: { ...details, quota }, cause: error });
        return new RewindError('conflict', message, { details, cause: error });
      }
      case 423:
        return new RewindError('locked', message, { details, cause: error });
      case 429:
        return new RewindError('rate_limited', message, { details, cause: error });
      case 401:
      case 403:
        return new RewindError('internal', `${what}: Neon refused the API key`, { details, cause: error });
      default:
        return error.status >= 500
          ? new RewindError('neon_unavailable', message, { details, cause: error })
          : new RewindError('internal', message, { details, cause: error });
    }
  }
  return new RewindError('neon_unavailable', `${what}: the Neon API could not be reached`, { cause: error });
}

/**
 * True when Neon answered and did not do it: a 4xx, or a 503/423/429 that retries could not get
 * past. Anything else (no answer, a timeout, a 500 or 502) leaves open whether a mutation landed.
 */
export function isRefusal(error: unknown): boolean {
  const status = RewindError.is(error) ? error.details?.neonStatus : undefined;
  return typeof status === 'number' && (status < 500 || status === 503);
}
