// `rewind-mcp` driven by the official MCP client over stdio (the bin as a host spawns it), against
// the emulator over HTTP with its real Postgres data, and a real PostgreSQL metadata store.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { type NeonEmulatorServer, startNeonEmulator } from '@rewind/neon-emulator';
import { createRewindApi, memoryStore } from '@rewind/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type PostgresServer, startPostgres } from '../../server/src/test/postgres-server';
import { createRewindMcpServer } from './index';
import { newProject as createProject, query } from './test/emulator';

const here = dirname(fileURLToPath(import.meta.url));
let neon: NeonEmulatorServer;
let postgres: PostgresServer;

const newProject = (name: string) => createProject(neon, name);

type Result = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const parsed = (result: unknown) => {
  const text = (result as Result).content.map((part) => part.text ?? '').join('');
  return JSON.parse(text) as Record<string, unknown> & { error?: { code: string } };
};

beforeAll(async () => {
  [neon, postgres] = await Promise.all([
    startNeonEmulator({ port: 0, operationDurationMs: 30, rateLimits: false }),
    startPostgres(),
  ]);
});
afterAll(async () => {
  await neon?.close();
  await postgres?.stop();
});

describe('rewind-mcp over stdio', () => {
  it('lists tools, checkpoints, restores only with a confirmation token, and the data comes back', async () => {
    const { projectId, uri } = await newProject('mcp-stdio');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', '--conditions=@rewind/source', join(here, 'bin.ts')],
      cwd: join(here, '..'),
      env: {
        PATH: process.env.PATH ?? '',
        NEON_API_KEY: 'emulator-key',
        NEON_API_HOST: neon.baseURL,
        REWIND_PROJECT_ID: projectId,
        REWIND_STORE_URL: await createDatabase(postgres, 'mcp_stdio'),
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'rewind-test-host', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        'create_checkpoint',
        'diff_version',
        'list_versions',
        'preview_version',
        'restore_version',
        'undo_restore',
      ]);
      expect(tools.find((t) => t.name === 'restore_version')?.annotations?.destructiveHint).toBe(true);

      await query(uri, `CREATE TABLE todos (title text); INSERT INTO todos VALUES ('write tests')`);
      const first = parsed(
        await client.callTool({ name: 'create_checkpoint', arguments: { label: 'todos' } }),
      );
      const v1 = (first.version as { id: string }).id;
      // The agent breaks the schema, and checkpoints that too.
      await query(uri, `ALTER TABLE todos DROP COLUMN title; ALTER TABLE todos ADD COLUMN broken int`);
      await client.callTool({ name: 'create_checkpoint', arguments: { label: 'broken' } });

      const listed = parsed(await client.callTool({ name: 'list_versions', arguments: {} }));
      expect((listed.versions as Array<{ label: string }>).map((v) => v.label)).toEqual(['broken', 'todos']);
      const diff = parsed(await client.callTool({ name: 'diff_version', arguments: { versionId: v1 } }));
      expect(diff.tables).toEqual([expect.objectContaining({ name: 'public.todos', change: 'changed' })]);

      // First call: what would change and a token; nothing changed.
      const asked = parsed(await client.callTool({ name: 'restore_version', arguments: { versionId: v1 } }));
      expect(asked).toMatchObject({ needsConfirmation: true, wouldChange: { restore: { id: v1 } } });
      expect(await query(uri, 'SELECT * FROM todos')).toEqual([{ broken: null }]);
      const token = asked.confirmationToken as string;
      // A token for another call does not run it.
      const wrong = await client.callTool({
        name: 'restore_version',
        arguments: { versionId: 'vother', confirmationToken: token },
      });
      expect(parsed(wrong).error?.code).toBe('confirmation_invalid');

      const done = parsed(
        await client.callTool({
          name: 'restore_version',
          arguments: { versionId: v1, confirmationToken: token },
        }),
      );
      expect(done).toMatchObject({ restored: true, versionId: v1 });
      expect(await query(uri, 'SELECT title FROM todos')).toEqual([{ title: 'write tests' }]);
      // One time only.
      const again = await client.callTool({
        name: 'restore_version',
        arguments: { versionId: v1, confirmationToken: token },
      });
      expect(parsed(again).error?.code).toBe('confirmation_invalid');

      // A preview gives the model an id and a diff, never a connection string.
      const preview = await client.callTool({ name: 'preview_version', arguments: { versionId: v1 } });
      expect(parsed(preview).previewId).toEqual(expect.any(String));
      expect(JSON.stringify(preview)).not.toMatch(/postgres(ql)?:\/\//);
      // Typed errors reach the model as code and message.
      const missing = await client.callTool({ name: 'diff_version', arguments: { versionId: 'vnope' } });
      expect((missing as Result).isError).toBe(true);
      expect(parsed(missing).error?.code).toBe('not_found');
    } finally {
      await client.close();
    }
  });
});

describe('approval by elicitation', () => {
  it('a host that elicits approves or declines in one call', async () => {
    const { projectId, uri } = await newProject('mcp-elicit');
    const api = createRewindApi({
      neon: { apiKey: 'key', baseURL: neon.baseURL },
      store: memoryStore(),
      secret: 'mcp-elicitation-test-secret-0123456789',
      budget: false,
    });
    await query(uri, `CREATE TABLE t (v int); INSERT INTO t VALUES (1)`);
    const v1 = await api.createVersion({ projectId }, { label: 'one' });
    await query(uri, `UPDATE t SET v = 2`);
    await api.createVersion({ projectId }, { label: 'two' });

    const server = createRewindMcpServer({ api, target: { projectId } });
    const answers: boolean[] = [false, true];
    const asked: string[] = [];
    const client = new Client(
      { name: 'eliciting-host', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { approve: answers.shift() ?? false } };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    try {
      const declined = parsed(
        await client.callTool({ name: 'restore_version', arguments: { versionId: v1.id } }),
      );
      expect(declined).toMatchObject({ approved: false });
      expect(await query(uri, 'SELECT v FROM t')).toEqual([{ v: 2 }]);
      const approved = parsed(
        await client.callTool({ name: 'restore_version', arguments: { versionId: v1.id } }),
      );
      expect(approved).toMatchObject({ restored: true, versionId: v1.id });
      expect(await query(uri, 'SELECT v FROM t')).toEqual([{ v: 1 }]);
      expect(asked).toHaveLength(2);
      expect(asked[0]).toContain('restore_version');
    } finally {
      await client.close();
    }
  });
});
