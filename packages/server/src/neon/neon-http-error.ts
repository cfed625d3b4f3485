import { RewindError } from '@rewind/protocol';

/** A non-2xx answer from the Neon API, before it is mapped to a RewindError. */
export class NeonHttpError extends Error {
  override readonly name = 'NeonHttpError';
  constructor(
    readonly status: number,
    readonly neonMessage: string,
    readonly retryAfter: string | null,
    readonly requestId: string | undefined,
  ) {
    super(`Neon API answered ${status}: ${neonMessage}`);
  }
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
      ...(error.requestId ? { neonRequestId: error.requestId } : {}),
    };
    const message = `${what}: ${error.neonMessage}`;
    switch (error.status) {
      case 404:
        return new RewindError('not_found', message, { details, cause: error });
      case 409:
        return new RewindError('conflict', message, { details, cause: error });
      case 422:
        return /limit|quota/i.test(error.neonMessage)
          ? new RewindError('quota_exceeded', message, { details, cause: error })
          : new RewindError('conflict', message, { details, cause: error });
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
