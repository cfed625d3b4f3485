import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNeonEmulator, type NeonEmulator } from './emulator';
import type { NeonEmulatorOptions } from './options';

export interface NeonEmulatorServerOptions extends NeonEmulatorOptions {
  /** HTTP port for the API (default 4100; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
}

export interface NeonEmulatorServer extends NeonEmulator {
  /** `http://host:port/api/v2`, for api-client `baseURL`, @neon/sdk `baseUrl`, neonctl `--api-host`. */
  baseURL: string;
  port: number;
}

/**
 * Start the emulator as an HTTP server on Node.
 *
 * @example
 * const neon = await startNeonEmulator({ port: 4100, dataDir: '.emulator-data' });
 * console.log(neon.baseURL); // http://127.0.0.1:4100/api/v2
 */
export async function startNeonEmulator(
  options: NeonEmulatorServerOptions = {},
): Promise<NeonEmulatorServer> {
  const emulator = await createNeonEmulator(options);
  const host = options.host ?? '127.0.0.1';
  const server = serve({
    fetch: (request) => emulator.fetch(request),
    port: options.port ?? 4100,
    hostname: host,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const detach = emulator.attachWebSockets(server as Server);
  return {
    fetch: emulator.fetch,
    faults: emulator.faults,
    settled: emulator.settled,
    attachWebSockets: emulator.attachWebSockets,
    get openDatabases() {
      return emulator.openDatabases;
    },
    baseURL: `http://${host}:${port}/api/v2`,
    port,
    close: async () => {
      detach();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
    },
  };
}
