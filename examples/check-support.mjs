// What the examples' checks share. scripts/check-packed.mjs copies this file into each example
// it installs, beside its check.mjs; it is CI scaffolding, not part of any example.
import { createServer } from 'node:net';
import pg from 'pg';

/** An environment variable the check cannot run without. */
export function env(name) {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
}

/** One statement over the wire protocol, on a connection of its own. */
export async function sql(uri, text, params) {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** A loopback port nobody listens on. */
export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** `probe()` until it gives something truthy (errors count as not yet), or throw after the bound. */
export async function poll(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** POST a version through the example's own route; answers it or throws with the server's words. */
export async function saveVersion(url, label) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ label }),
  });
  if (response.status !== 201)
    throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()).version;
}
