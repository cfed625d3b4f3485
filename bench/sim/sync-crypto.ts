// WebCrypto's digest, sign and verify complete on libuv's thread pool: when their promises
// resolve, relative to the simulation's event loop turns, is up to the machine. The simulation
// answers them synchronously with node:crypto instead (same algorithms, same bytes), so every
// promise in the simulated world settles in an order the seed alone decides.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

type Bytes = ArrayBuffer | ArrayBufferView;
const bytes = (data: Bytes) =>
  ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(new Uint8Array(data));
const algorithmName = (a: unknown) => (typeof a === 'string' ? a : (a as { name: string }).name);
const keys = new WeakMap<object, Buffer>();

export function answerCryptoSynchronously(): void {
  const subtle = globalThis.crypto.subtle as unknown as Record<string, unknown>;
  subtle.digest = (algorithm: unknown, data: Bytes) => {
    if (algorithmName(algorithm) !== 'SHA-256') throw new Error('sim crypto: SHA-256 only');
    const out = createHash('sha256').update(bytes(data)).digest();
    return Promise.resolve(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  };
  subtle.importKey = (format: string, data: Bytes) => {
    if (format !== 'raw') throw new Error('sim crypto: raw keys only');
    const key = { type: 'secret', algorithm: { name: 'HMAC' } };
    keys.set(key, bytes(data));
    return Promise.resolve(key);
  };
  const hmac = (key: object, data: Bytes) => {
    const secret = keys.get(key);
    if (!secret) throw new Error('sim crypto: unknown key');
    return createHmac('sha256', secret).update(bytes(data)).digest();
  };
  subtle.sign = (_algorithm: unknown, key: object, data: Bytes) => {
    const out = hmac(key, data);
    return Promise.resolve(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  };
  subtle.verify = (_algorithm: unknown, key: object, signature: Bytes, data: Bytes) => {
    const expected = hmac(key, data);
    const given = bytes(signature);
    return Promise.resolve(given.length === expected.length && timingSafeEqual(given, expected));
  };
}
