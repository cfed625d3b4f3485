import type { Context } from 'hono';
import { badRequest } from '../engine/neon-error';

/** The JSON body as an object; an empty body is `{}`; anything else is a 400. */
export async function jsonBody(c: Context, required = false): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (required) throw badRequest('request body is required');
    return {};
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function optionalString(
  record: Record<string, unknown>,
  key: string,
  where: string,
): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${where}${key} must be a string`);
  return value;
}

export function optionalBoolean(
  record: Record<string, unknown>,
  key: string,
  where: string,
): boolean | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${where}${key} must be a boolean`);
  return value;
}

export function optionalObject(
  record: Record<string, unknown>,
  key: string,
  where: string,
): Record<string, unknown> | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${where}${key} must be an object`);
  return value as Record<string, unknown>;
}

/** An integer query parameter within bounds, or its default. */
export function intQuery(c: Context, key: string, min: number, max: number, fallback: number): number {
  const raw = c.req.query(key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function enumQuery<T extends string>(c: Context, key: string, allowed: readonly T[], fallback: T): T {
  const raw = c.req.query(key);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw badRequest(`${key} must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function boolQuery(c: Context, key: string): boolean | undefined {
  const raw = c.req.query(key);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw badRequest(`${key} must be true or false`);
  return raw === 'true';
}

/** Opaque cursors: an offset, base64url-encoded, so clients cannot rely on its format. */
export function encodeCursor(offset: number): string {
  return btoa(`o:${offset}`).replaceAll('=', '');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  try {
    const text = atob(cursor);
    const offset = Number(text.slice(2));
    if (text.startsWith('o:') && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw badRequest('invalid cursor');
}
