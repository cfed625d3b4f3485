import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, RewindError } from './index';

describe('RewindError', () => {
  it('derives the HTTP status from the code', () => {
    const error = new RewindError('restore_in_progress', 'A restore is running');
    expect(error.status).toBe(409);
    expect(error.code).toBe('restore_in_progress');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RewindError');
  });

  it('round-trips through JSON for every code', () => {
    for (const code of ERROR_CODES) {
      const original = new RewindError(code, `message for ${code}`, { details: { n: 1 } });
      const wire = JSON.parse(JSON.stringify(original));
      expect(wire).toEqual({
        error: { code, message: `message for ${code}`, status: ERROR_STATUS[code], details: { n: 1 } },
      });
      const back = RewindError.fromJSON(wire);
      expect(back.code).toBe(code);
      expect(back.status).toBe(ERROR_STATUS[code]);
      expect(back.message).toBe(`message for ${code}`);
      expect(back.details).toEqual({ n: 1 });
    }
  });

  it('omits details and never serializes the cause', () => {
    const error = new RewindError('internal', 'boom', { cause: new Error('api key sk_live_123') });
    expect(JSON.stringify(error)).toBe('{"error":{"code":"internal","message":"boom","status":500}}');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each([
    ['null', null],
    ['a string', '<html>502 Bad Gateway</html>'],
    ['an array', [1, 2]],
    ['an unknown code', { error: { code: 'teapot', message: 'no' } }],
    ['a missing message', { error: { code: 'not_found' } }],
    ['a Neon GeneralError', { code: '', message: 'locked', request_id: 'x' }],
    ['a number', 42],
  ])('turns %s into an internal error instead of throwing', (_label, body) => {
    const error = RewindError.fromJSON(body);
    expect(error.code).toBe('internal');
    expect(error.status).toBe(500);
    expect(typeof error.details?.body).toBe('string');
  });

  it('keeps the diagnostic summary short', () => {
    const error = RewindError.fromJSON('x'.repeat(10_000));
    expect(String(error.details?.body).length).toBeLessThanOrEqual(201);
  });

  it('ignores non-object details', () => {
    const error = RewindError.fromJSON({ error: { code: 'locked', message: 'm', details: 'str' } });
    expect(error.code).toBe('locked');
    expect(error.details).toBeUndefined();
  });

  it('recognizes errors from another copy of the class', () => {
    const foreign = Object.assign(new Error('x'), { name: 'RewindError', code: 'timeout' });
    expect(RewindError.is(foreign)).toBe(true);
    expect(RewindError.is(new Error('x'))).toBe(false);
    expect(RewindError.is(new RewindError('timeout', 't'))).toBe(true);
  });

  it('maps every code to a client or server error status', () => {
    for (const code of ERROR_CODES) {
      expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(ERROR_STATUS[code]).toBeLessThan(600);
    }
  });
});
