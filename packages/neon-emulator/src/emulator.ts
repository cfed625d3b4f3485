import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from './api/app';
import { BranchDatabases } from './data/branch-databases';
import { MetadataOnlyData } from './data/metadata-only-data';
import { attachWebSocketProxy } from './data/websocket-proxy';
import { FaultInjector, type Faults } from './engine/faults';
import { RateLimiter } from './engine/rate-limiter';
import { everyOn } from './engine/runtime';
import { sweepExpiredSnapshots } from './engine/snapshots';
import { World } from './engine/world';
import { type NeonEmulatorOptions, resolveOptions } from './options';

/** A running emulator, in process. */
export interface NeonEmulator {
  /**
   * Web-standard fetch that serves the emulator without a port. Give it to the api-client as
   * `createApiClient({ baseURL: emulator.baseURL, adapter: 'fetch', env: { fetch: emulator.fetch } })`.
   */
  fetch: (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
  /** The API base for in-process use (`http://neon-emulator.local/api/v2`). */
  baseURL: string;
  /** Change fault rules for this instance (same as `PUT /_emulator/faults`). */
  faults: {
    set(faults: Partial<Faults>): void;
    reset(): void;
    readonly current: Faults;
  };
  /** Resolves when every operation scheduled so far has settled. */
  settled(projectId?: string): Promise<void>;
  /** How many branch databases (PGlite instances) are open. */
  readonly openDatabases: number;
  /**
   * Serve the serverless driver's WebSocket proxy (`/v2?address=…`) on a Node HTTP server that
   * also serves `fetch` (`startNeonEmulator` does this). Returns a function that detaches it.
   */
  attachWebSockets(server: Server): () => void;
  /** Stop endpoints, close databases, persist state (or remove the temporary folder). */
  close(): Promise<void>;
}

const IN_PROCESS_ORIGIN = 'http://neon-emulator.local';

/**
 * Create a Neon API emulator with real Postgres data.
 *
 * @example
 * const neon = await createNeonEmulator({ operationDurationMs: 10 });
 * const api = createApiClient({ apiKey: 'test', baseURL: neon.baseURL, adapter: 'fetch', env: { fetch: neon.fetch } });
 */
export async function createNeonEmulator(options: NeonEmulatorOptions = {}): Promise<NeonEmulator> {
  const resolved = resolveOptions(options);
  // Only Postgres data needs a folder: a metadata-only emulator without `dataDir` touches no disk.
  const needsDisk = !resolved.metadataOnly || resolved.dataDir !== undefined;
  const temporary = needsDisk && resolved.dataDir === undefined;
  const root = needsDisk ? (resolved.dataDir ?? (await mkdtemp(join(tmpdir(), 'neon-emu-')))) : '';
  if (needsDisk) await mkdir(root, { recursive: true });
  const data = options.branchData
    ? options.branchData
    : resolved.metadataOnly
      ? new MetadataOnlyData()
      : new BranchDatabases({
          root,
          idleMs: resolved.idleMs,
          maxOpen: resolved.maxOpenDatabases,
          threads: resolved.databaseThreads,
        });
  const faults = new FaultInjector(options.faults);
  const world = new World(resolved, data, faults);
  await world.load();
  const app = createApp(
    world,
    faults,
    resolved.rateLimits ? new RateLimiter(resolved.rateLimits) : undefined,
  );

  const stopSweeping = everyOn(
    resolved.runtime,
    1_000,
    () => void sweepExpiredSnapshots(world).catch(() => undefined),
  );

  return {
    fetch: async (input, init) => {
      const request = input instanceof Request && init === undefined ? input : new Request(input, init);
      return app.fetch(request);
    },
    baseURL: `${IN_PROCESS_ORIGIN}/api/v2`,
    faults: {
      set: (next) => faults.set(next),
      reset: () => faults.reset(),
      get current() {
        return faults.current;
      },
    },
    settled: (projectId) => world.runner.settled(projectId),
    attachWebSockets: (server) => attachWebSocketProxy(server, world),
    get openDatabases() {
      return data.openCount;
    },
    close: async () => {
      stopSweeping();
      await world.runner.settled();
      await world.close();
      await data.close();
      if (temporary) await rm(root, { recursive: true, force: true });
    },
  };
}
