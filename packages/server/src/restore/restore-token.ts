import { RewindError } from '@rewind/protocol';

/** What a restore token carries: enough for any instance to follow the restore. */
export interface RestoreTokenClaims {
  /** Neon project id: the tenant the token is scoped to. */
  projectId: string;
  restoreId: string;
  versionId: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/** Sign claims with HMAC-SHA256 (WebCrypto, so the same code runs on every runtime). */
export async function signRestoreToken(claims: RestoreTokenClaims, secret: string): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(payload));
  return `${payload}.${base64url(new Uint8Array(signature))}`;
}

/**
 * Verify a token for the project the request resolved to. Tampered, malformed or expired tokens
 * are `invalid_token`; a valid token of another tenant is `not_found`, so it reveals nothing.
 */
export async function verifyRestoreToken(
  token: string,
  secret: string,
  projectId: string,
  now: number,
): Promise<RestoreTokenClaims> {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined)
    throw new RewindError('invalid_token', 'Malformed restore token');
  let valid = false;
  let claims: RestoreTokenClaims;
  try {
    // verify() compares in constant time.
    valid = await crypto.subtle.verify(
      'HMAC',
      await hmacKey(secret),
      fromBase64url(signature),
      encoder.encode(payload),
    );
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as RestoreTokenClaims;
  } catch {
    throw new RewindError('invalid_token', 'Malformed restore token');
  }
  if (!valid) throw new RewindError('invalid_token', 'Restore token signature does not match');
  if (typeof claims.exp !== 'number' || claims.exp < now)
    throw new RewindError('invalid_token', 'Restore token expired');
  if (claims.projectId !== projectId) throw new RewindError('not_found', 'No such restore');
  return claims;
}
