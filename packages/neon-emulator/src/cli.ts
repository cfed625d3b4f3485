#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startNeonEmulator } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    'operation-ms': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`rewind-neon-emulator — a local Neon API with real Postgres data

  --port N          HTTP port of the API (default 4100)
  --host ADDR       address to bind the API and the endpoints (default 127.0.0.1)
  --data DIR        keep data and state in DIR across restarts (default: in a temporary folder)
  --operation-ms N  duration of every Neon operation in ms (default: realistic, 0.4-1.5 s)`);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const operationMs = values['operation-ms'] === undefined ? undefined : Number(values['operation-ms']);
if (operationMs !== undefined && !(operationMs >= 0)) {
  console.error(`--operation-ms must be a non-negative number, got "${values['operation-ms']}"`);
  process.exit(2);
}

const emulator = await startNeonEmulator({
  port,
  host: values.host,
  ...(values.data ? { dataDir: values.data } : {}),
  ...(operationMs !== undefined ? { operationDurationMs: operationMs } : {}),
});
console.log(`Neon emulator ready at ${emulator.baseURL}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void emulator.close().then(() => process.exit(0));
  });
}
