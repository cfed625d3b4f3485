// A Node service in an agent's loop: it starts the emulator CLI for a project, applies a change
// under Rewind's lock and versions it, breaks the schema, and restores the good version, watching
// the typed progress events. Exits non-zero if anything disagrees.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRewindApi, memoryStore } from '@rewind/server';
import pg from 'pg';

function startEmulator(): Promise<{ child: ChildProcess; baseURL: string; projectId: string }> {
  // The installed bin itself (not through npx, whose child a kill would miss).
  const bin = fileURLToPath(new URL('../node_modules/.bin/rewind-neon-emulator', import.meta.url));
  const child = spawn(bin, ['--port', '0', '--operation-ms', '50', '--project', 'demo'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = output.match(/Neon emulator ready at (\S+)/);
      const project = output.match(/Project demo: (\S+)/);
      if (ready && project) {
        clearTimeout(timer);
        resolve({ child, baseURL: ready[1] as string, projectId: project[1] as string });
      }
    });
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${output}`)));
  });
}

async function sql(uri: string, text: string) {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const { child, baseURL, projectId } = await startEmulator();
try {
  const rewind = createRewindApi({
    neon: { apiKey: 'emulator', baseURL },
    store: memoryStore(),
    secret: 'example-secret-at-least-32-characters-long',
  });
  const project = { projectId };

  // The agent's change, holding the project, then versioned.
  const { version: good } = await rewind.withVersion(
    project,
    ({ connectionUri }) =>
      sql(connectionUri, `CREATE TABLE todos (title text); INSERT INTO todos VALUES ('ship')`),
    { label: 'todos', prompt: 'Make a todo app' },
  );
  await rewind.withVersion(
    project,
    ({ connectionUri }) => sql(connectionUri, 'ALTER TABLE todos DROP COLUMN title'),
    {
      label: 'broken',
    },
  );

  // Roll back, watching progress; then await the outcome.
  const run = rewind.restore(project, good.id);
  const seen: string[] = [];
  for await (const event of run) seen.push(event.event);
  const result = await run;
  const live = (await rewind.listVersions(project)).liveBranch;
  const { uri } = (await (
    await fetch(
      `${baseURL}/projects/${projectId}/connection_uri?database_name=neondb&role_name=neondb_owner`,
      {
        headers: { authorization: 'Bearer emulator' },
      },
    )
  ).json()) as { uri: string };
  const rows = await sql(uri, 'SELECT title FROM todos');
  const ok =
    result.versionId === good.id &&
    seen[0] === 'restore.started' &&
    seen.at(-1) === 'restore.succeeded' &&
    JSON.stringify(rows) === JSON.stringify([{ title: 'ship' }]);
  console.log(
    JSON.stringify({ restored: result.versionId, liveBranch: live.name, events: seen.length, rows, ok }),
  );
  if (!ok) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
}
