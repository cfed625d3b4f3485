#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { REALISTIC_FAULTS } from './engine/faults';
import { startNeonEmulator } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    host: { type: 'string' },
    data: { type: 'string' },
    'operation-ms': { type: 'string' },
    plan: { type: 'string' },
    realistic: { type: 'boolean', default: false },
    'metadata-only': { type: 'boolean', default: false },
    project: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`rewind-neon-emulator — a local Neon API with real Postgres data

  --port N          HTTP port of the API (default 4100)
  --host ADDR       address to bind the API and the endpoints (default 127.0.0.1; endpoints
                    then get their own 127.x.y.z on port 5432 where the system allows it)
  --data DIR        keep data and state in DIR across restarts (default: in a temporary folder)
  --operation-ms N  duration of every Neon operation in ms (default: realistic, 0.4-1.5 s)
  --plan NAME       free, launch (default), scale or agent: that plan's limits
  --realistic       lagging lists, Neon's own background operations, detaching branches
  --project NAME    create the project NAME (or reuse it, with --data) and print its id and
                    connection string
  --metadata-only   no Postgres per branch (simulations of thousands of projects; seed them with
                    POST /_emulator/seed {"projects": N, "snapshotsPerProject": M})`);
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

const plans = ['free', 'launch', 'scale', 'agent'] as const;
const plan = values.plan as (typeof plans)[number] | undefined;
if (plan !== undefined && !plans.includes(plan)) {
  console.error(`--plan must be one of ${plans.join(', ')}, got "${values.plan}"`);
  process.exit(2);
}

const emulator = await startNeonEmulator({
  port,
  ...(values.host ? { host: values.host } : {}),
  ...(plan ? { plan } : {}),
  ...(values.realistic ? { faults: REALISTIC_FAULTS } : {}),
  ...(values['metadata-only'] ? { metadataOnly: true } : {}),
  ...(values.data ? { dataDir: values.data } : {}),
  ...(operationMs !== undefined ? { operationDurationMs: operationMs } : {}),
});
if (values.project) {
  // What a first-time user needs next: a project to point Rewind at, and its database.
  const call = async (path: string, init?: RequestInit) => {
    const response = await emulator.fetch(`${emulator.baseURL}${path}`, {
      ...init,
      headers: { authorization: 'Bearer emulator', 'content-type': 'application/json' },
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const name = values.project;
  const listed = (await call(`/projects?search=${encodeURIComponent(name)}`)) as {
    projects: Array<{ id: string; name: string }>;
  };
  let id = listed.projects.find((p) => p.name === name)?.id;
  if (!id) {
    const created = (await call('/projects', {
      method: 'POST',
      body: JSON.stringify({ project: { name } }),
    })) as { project: { id: string } };
    id = created.project.id;
  }
  await emulator.settled(id);
  const { uri } = (await call(
    `/projects/${id}/connection_uri?database_name=neondb&role_name=neondb_owner`,
  )) as { uri: string };
  console.log(`Project ${name}: ${id}`);
  console.log(`Connection string: ${uri}`);
}
console.log(`Neon emulator ready at ${emulator.baseURL}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void emulator.close().then(() => process.exit(0));
  });
}
