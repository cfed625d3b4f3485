// Test harness: the handler against the in-process Neon emulator (real PGlite data), called
// through `app.request()` like a platform's backend would, with tenants chosen by a header.
import { createApiClient } from '@neondatabase/api-client';
import {
  createNeonEmulator,
  type NeonEmulator,
  type NeonEmulatorOptions,
  REALISTIC_FAULTS,
} from '@rewind/neon-emulator';
import { decodeRestoreEvent, type RestoreEvent } from '@rewind/protocol';
import { createParser } from 'eventsource-parser';
import pg from 'pg';
import { expect } from 'vitest';
import { createRewind } from '../app';
import type { RewindOptions } from '../options';
import { memoryStore } from '../stores/memory-store';

export const SECRET = 'test-secret-that-is-long-enough-1234567890';

/**
 * `REWIND_REALISTIC_NEON=1` (the `server-realistic` Vitest project): every emulator the tests
 * start behaves like the Neon that evidence shows, lag, operations Rewind did not start,
 * `detaching` and all (the emulator's REALISTIC_FAULTS), and `faults.reset()` returns to that.
 */
const REALISTIC = process.env.REWIND_REALISTIC_NEON === '1';
/** `REWIND_DATABASE_THREADS=1`: the emulator's branch databases in worker threads (issue 23 point 5). */
const THREADS = process.env.REWIND_DATABASE_THREADS === '1';

export interface Tenant {
  name: string;
  projectId: string;
  uri: string;
}

export interface Harness {
  neon: NeonEmulator;
  /** The Neon API as a platform would call it, for inspecting branches and snapshots. */
  api: ReturnType<typeof createApiClient>;
  app: ReturnType<typeof createRewind>;
  tenants: Map<string, Tenant>;
  makeApp(overrides?: Partial<RewindOptions>): ReturnType<typeof createRewind>;
  /** The options `makeApp` uses (same store, same emulator), for `createRewindApi`. */
  optionsFor(overrides?: Partial<RewindOptions>): RewindOptions;
  addTenant(name: string): Promise<Tenant>;
  request(tenant: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { emulator?: NeonEmulatorOptions; rewind?: Partial<RewindOptions> } = {},
): Promise<Harness> {
  const neon = await createNeonEmulator({
    operationDurationMs: 30,
    retryDelayMs: 50,
    rateLimits: false,
    ...(THREADS ? { databaseThreads: true } : {}),
    // Also the other answer to "are snapshot names unique?" (the default run allows repeats).
    ...(REALISTIC
      ? { faults: REALISTIC_FAULTS, finalizeStartsCompute: false, uniqueSnapshotNames: true }
      : {}),
    ...options.emulator,
    ...(REALISTIC && options.emulator?.faults
      ? { faults: { ...REALISTIC_FAULTS, ...options.emulator.faults } }
      : {}),
  });
  const api = createApiClient({
    apiKey: 'test',
    baseURL: neon.baseURL,
    adapter: 'fetch',
    env: { fetch: neon.fetch },
  });
  const tenants = new Map<string, Tenant>();
  // Shared by every app the harness makes, as instances of one platform share their store.
  const store = memoryStore();
  const optionsFor = (overrides: Partial<RewindOptions> = {}): RewindOptions => ({
    neon: {
      apiKey: 'test-neon-key',
      baseURL: neon.baseURL,
      fetch: neon.fetch as typeof fetch,
      timeoutMs: 2_000,
    },
    store,
    secret: SECRET,
    resolveProject: (c) => {
      const tenant = tenants.get(c.req.header('x-tenant') ?? '');
      return tenant ? { projectId: tenant.projectId } : null;
    },
    poll: { sparseMs: 200, denseMs: 25, deadlineMs: 60_000, failedGraceMs: 2_000 },
    // Short in the default run; the realistic run keeps Rewind's own backoff, which is what
    // rides out Neon's background work (a 423 lasts a few hundred ms there).
    retry: REALISTIC ? { baseMs: 100, capMs: 1_000 } : { baseMs: 20, capMs: 200 },
    heartbeatMs: 1_000,
    // Short, so a follower settles a restore whose job stopped within seconds; not shorter: the
    // in-process emulator blocks this same event loop for about 1.2 s each time it opens a branch's
    // Postgres (PGlite's start is synchronous WebAssembly), and more on a loaded machine, which
    // real Neon never does. A lease must outlast that with a request bound (2 s) to spare, or
    // short mutations answer `lease_lost` under load (CI's three Vitest workers on two cores).
    restoreLeaseMs: 8_000,
    // Every view reconciles before answering, so tests of other things see Neon's truth at once;
    // timeline.test.ts runs the default (from the store, reconciled in the background).
    reconcileIntervalMs: 0,
    // The request budget runs (through the store) but never binds here; budget.test.ts binds it.
    budget: { perMinute: 1_000_000, perSecondPerRoute: 100_000 },
    ...options.rewind,
    ...overrides,
  });
  const makeApp = (overrides: Partial<RewindOptions> = {}) => createRewind(optionsFor(overrides));
  const app = makeApp();
  return {
    neon,
    api,
    app,
    tenants,
    makeApp,
    optionsFor,
    async addTenant(name) {
      const { data } = await api.createProject({ project: { name } });
      await neon.settled(data.project.id);
      const tenant = {
        name,
        projectId: data.project.id,
        uri: data.connection_uris[0]?.connection_uri as string,
      };
      tenants.set(name, tenant);
      return tenant;
    },
    request(tenant, path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('x-tenant', tenant);
      // As @rewind/ui's client does: every state-changing request is JSON, bodiless or not.
      if (
        (init.body !== undefined || init.method === 'POST' || init.method === 'PATCH') &&
        !headers.has('content-type')
      )
        headers.set('content-type', 'application/json');
      return Promise.resolve(app.request(path, { ...init, headers }));
    },
    close: () => neon.close(),
  };
}

/** The response, after checking its status; a wrong one fails showing the body (the typed error). */
export async function expectStatus(
  response: Response | Promise<Response>,
  status: number,
): Promise<Response> {
  const r = await response;
  if (r.status !== status) expect(`${r.status} ${await r.text()}`).toBe(String(status));
  return r;
}

/** Read an SSE response to its end (or until `stopAfter` events), as typed restore events. */
export async function readEvents(
  response: Response,
  /** A count of events, or the event to stop at (inclusive). */
  stopAfter: number | ((event: RestoreEvent) => boolean) = Number.POSITIVE_INFINITY,
): Promise<RestoreEvent[]> {
  const done = () =>
    typeof stopAfter === 'function'
      ? events.some(stopAfter)
      : events.filter((e) => e.event !== 'heartbeat').length >= stopAfter;
  const events: RestoreEvent[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const event = decodeRestoreEvent(message);
      if (event) events.push(event);
    },
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  while (!done()) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  await reader.cancel().catch(() => undefined);
  return events.filter((e) => e.event !== 'heartbeat');
}

export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
  uri: string,
  text: string,
): Promise<T[]> {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
