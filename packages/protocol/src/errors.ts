/**
 * Every failure Rewind reports, with the HTTP status the handler answers it with.
 * Callers branch on `code`, never on message text.
 */
export const ERROR_STATUS = {
  /** The request body, params or query failed validation. */
  bad_request: 400,
  /** The platform's `resolveProject` refused the request. */
  unauthorized: 401,
  /** The request was understood but the tenant may not do it. */
  forbidden: 403,
  /** The version, preview or restore does not exist for this tenant. */
  not_found: 404,
  /** A name or idempotency key clashes with an existing resource. */
  conflict: 409,
  /** Another mutation of this project is running; `details.restore` lets the client attach. */
  restore_in_progress: 409,
  /** A restore token was tampered with, expired, or belongs to no known restore. */
  invalid_token: 400,
  /** The request body is larger than the handler accepts. */
  payload_too_large: 413,
  /** A state-changing request without `Content-Type: application/json` (blocks cross-site form posts). */
  unsupported_media_type: 415,
  /** An `Idempotency-Key` reused with a different request body. */
  idempotency_mismatch: 422,
  /**
   * A restore job's lease was taken over (it paused or its renewals failed): the store refused
   * its write. Server-internal: the job stops and recovery settles the restore.
   */
  lease_lost: 409,
  /** A Neon quota (snapshots, branches, root branches) is exhausted. */
  quota_exceeded: 422,
  /** Neon kept the project locked (423) past every retry. */
  locked: 423,
  /** Neon kept rate-limiting (429) past every retry. */
  rate_limited: 429,
  /** A Neon operation ended in `error`, `cancelled`, or stayed `failed` past its grace. */
  operation_failed: 502,
  /** Neon answered 503 past every retry, or could not be reached. */
  neon_unavailable: 503,
  /** Operations did not settle before the deadline. */
  timeout: 504,
  /** Anything unexpected. The message is safe to show; details never carry secrets. */
  internal: 500,
} as const satisfies Record<string, number>;

/** A machine-readable Rewind error code. */
export type RewindErrorCode = keyof typeof ERROR_STATUS;

/** The list of every error code, in declaration order. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as RewindErrorCode[];

/** JSON-safe extra facts about an error (never secrets: no keys, no connection strings). */
export type RewindErrorDetails = Record<string, unknown>;

/** The wire form of a {@link RewindError}: the body of every non-2xx handler response. */
export interface RewindErrorJSON {
  error: {
    code: RewindErrorCode;
    message: string;
    status: number;
    details?: RewindErrorDetails;
  };
}

/** Narrow an unknown value to a known error code. */
export function isRewindErrorCode(value: unknown): value is RewindErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/**
 * The one error class of Rewind, thrown by the handler and rebuilt by the UI from the wire.
 *
 * @example
 * throw new RewindError('not_found', `Version ${id} does not exist`);
 */
export class RewindError extends Error {
  override readonly name = 'RewindError';
  readonly code: RewindErrorCode;
  readonly status: number;
  readonly details: RewindErrorDetails | undefined;

  constructor(
    code: RewindErrorCode,
    message: string,
    options: { details?: RewindErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
  }

  /** The wire form; `cause` is deliberately left out (it may hold upstream bodies). */
  toJSON(): RewindErrorJSON {
    const error: RewindErrorJSON['error'] = {
      code: this.code,
      message: this.message,
      status: this.status,
    };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }

  /**
   * Rebuild an error from a response body. Anything that is not a well-formed
   * {@link RewindErrorJSON} becomes an `internal` error instead of throwing, because the
   * body may come from a proxy, a crashed worker or a different service entirely.
   */
  static fromJSON(
    body: unknown,
    fallbackMessage = 'Unexpected response from the Rewind server',
  ): RewindError {
    const inner = isRecord(body) ? body.error : undefined;
    if (isRecord(inner) && isRewindErrorCode(inner.code) && typeof inner.message === 'string') {
      const details = isRecord(inner.details) ? inner.details : undefined;
      return new RewindError(inner.code, inner.message, details ? { details } : {});
    }
    return new RewindError('internal', fallbackMessage, { details: { body: summarize(body) } });
  }

  /** True for a RewindError, also across bundles that carry their own copy of this class. */
  static is(value: unknown): value is RewindError {
    return (
      value instanceof RewindError ||
      (value instanceof Error &&
        value.name === 'RewindError' &&
        isRewindErrorCode((value as RewindError).code))
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Keep diagnostics small: a proxy's HTML error page should not end up in a UI state object.
function summarize(body: unknown): string {
  let text: string;
  try {
    text = typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
  } catch {
    text = String(body);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
