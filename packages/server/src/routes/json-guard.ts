import { RewindError } from '@rewind/protocol';
import type { MiddlewareHandler } from 'hono';

/** Deepest JSON nesting accepted: far above any real metadata, far below a stack overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * State-changing requests must be JSON: a cross-site form or a `text/plain` simple request
 * cannot send `Content-Type: application/json` without a CORS preflight, so this refuses them
 * (415) wherever a platform authenticates with cookies. The body is then checked before any
 * validator sees it: bounded depth, and no NUL character (Postgres refuses 0x00 in text).
 */
export function jsonGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'POST' && c.req.method !== 'PATCH') return next();
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new RewindError(
        'unsupported_media_type',
        'State-changing requests must send Content-Type: application/json',
      );
    }
    const text = await c.req.text();
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new RewindError('bad_request', 'The request body is not valid JSON');
      }
      checkJson(body);
    }
    return next();
  };
}

/** Throws a typed `bad_request` for JSON nested deeper than MAX_JSON_DEPTH or holding a NUL. */
export function checkJson(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item === 'string') {
      if (item.includes('\u0000'))
        throw new RewindError('bad_request', 'Text must not contain NUL characters');
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      throw new RewindError('bad_request', `JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    if (Array.isArray(item)) for (const child of item) stack.push([child, depth + 1]);
    else
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000'))
          throw new RewindError('bad_request', 'Text must not contain NUL characters');
        stack.push([child, depth + 1]);
      }
  }
}
