import { RewindError } from '@rewind/protocol';
import { describe, expect, it } from 'vitest';
import { signRestoreToken, verifyRestoreToken } from './restore-token';

const secret = 'a-secret-that-is-long-enough-for-hmac-tests';
const now = Date.parse('2026-01-01T00:00:00Z');
const claims = { projectId: 'p-1', restoreId: 'r-1', versionId: 'v-1', exp: now + 60_000 };

async function code(promise: Promise<unknown>) {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return RewindError.is(error) ? error.code : 'other';
  }
}

describe('restore tokens', () => {
  it('round-trips for the same tenant', async () => {
    const token = await signRestoreToken(claims, secret);
    expect(await verifyRestoreToken(token, secret, 'p-1', now)).toEqual(claims);
  });

  it('refuses expired, tampered, foreign-secret and malformed tokens', async () => {
    const expired = await signRestoreToken({ ...claims, exp: now - 1 }, secret);
    expect(await code(verifyRestoreToken(expired, secret, 'p-1', now))).toBe('invalid_token');
    const token = await signRestoreToken(claims, secret);
    const [payload, signature] = token.split('.') as [string, string];
    const forged = btoa(JSON.stringify({ ...claims, projectId: 'p-2' })).replaceAll('=', '');
    expect(await code(verifyRestoreToken(`${forged}.${signature}`, secret, 'p-2', now))).toBe(
      'invalid_token',
    );
    expect(await code(verifyRestoreToken(token, `${secret}-other`, 'p-1', now))).toBe('invalid_token');
    for (const bad of ['', 'x', 'a.b.c', `${payload}.`, `.${signature}`, '%%%.%%%']) {
      expect(await code(verifyRestoreToken(bad, secret, 'p-1', now)), bad).toBe('invalid_token');
    }
  });

  it("answers not_found for another tenant's valid token", async () => {
    const token = await signRestoreToken(claims, secret);
    expect(await code(verifyRestoreToken(token, secret, 'p-other', now))).toBe('not_found');
  });
});
