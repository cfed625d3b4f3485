#!/usr/bin/env node
// `rewind-mcp`: Rewind's agent tools for one tenant's Neon project, as an MCP server over stdio.
// Configured by environment, as Neon's own tools are:
//   NEON_API_KEY        the Neon API key (required)
//   NEON_API_HOST       the Neon API base URL (default https://console.neon.tech/api/v2; the emulator's for local use)
//   REWIND_PROJECT_ID   the Neon project the agent may version and restore (required)
//   REWIND_BRANCH       its live branch's name (default main); REWIND_DATABASE, REWIND_ROLE
//   REWIND_STORE_URL    the metadata store: a postgres:// URL (Rewind's SQL store), or memory:
//                       (versions kept only while this process runs)
//   REWIND_SECRET       signs restore tokens (at least 32 characters; default: random per process)
//   REWIND_APPROVAL     confirm (default: elicitation, or a confirmation token) or none
// stdout carries the protocol: everything else goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createRewindApi, memoryStore, type RewindStore, sqlStore } from '@rewind/server';
import pg from 'pg';
import { createRewindMcpServer } from './mcp-server';

function fail(message: string): never {
  process.stderr.write(`rewind-mcp: ${message}\n`);
  process.exit(2);
}

const env = process.env;
const apiKey = env.NEON_API_KEY || fail('NEON_API_KEY is required');
const projectId = env.REWIND_PROJECT_ID || fail('REWIND_PROJECT_ID is required');
const storeUrl = env.REWIND_STORE_URL || fail('REWIND_STORE_URL is required (a postgres:// URL, or memory:)');
const approval = env.REWIND_APPROVAL ?? 'confirm';
if (approval !== 'confirm' && approval !== 'none') fail('REWIND_APPROVAL must be confirm or none');

let store: RewindStore;
let pool: pg.Pool | undefined;
if (storeUrl === 'memory:') store = memoryStore();
else if (/^postgres(ql)?:\/\//.test(storeUrl)) {
  pool = new pg.Pool({ connectionString: storeUrl, max: 4 });
  pool.on('error', (error) => process.stderr.write(`rewind-mcp: store connection: ${error.message}\n`));
  const sql = sqlStore((text, params) => pool?.query(text, params) as never);
  await sql.migrate();
  store = sql;
} else fail('REWIND_STORE_URL must be a postgres:// URL or memory:');

const secret =
  env.REWIND_SECRET ??
  Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
const api = createRewindApi({
  neon: { apiKey, ...(env.NEON_API_HOST ? { baseURL: env.NEON_API_HOST } : {}) },
  store,
  secret,
  onError: (error, context) =>
    process.stderr.write(
      `rewind-mcp: ${String(context.where ?? '')}: ${(error as Error)?.message ?? error}\n`,
    ),
});
const server = createRewindMcpServer({
  api,
  target: {
    projectId,
    ...(env.REWIND_BRANCH ? { branchName: env.REWIND_BRANCH } : {}),
    ...(env.REWIND_DATABASE ? { databaseName: env.REWIND_DATABASE } : {}),
    ...(env.REWIND_ROLE ? { roleName: env.REWIND_ROLE } : {}),
  },
  approval,
});
await server.connect(new StdioServerTransport());
const close = async () => {
  await server.close().catch(() => undefined);
  await pool?.end().catch(() => undefined);
  process.exit(0);
};
process.stdin.on('end', close);
process.on('SIGTERM', close);
