// The AI SDK tools in a scripted agent's loop (the SDK's mock language model, no key): the agent
// checkpoints, breaks the schema, checkpoints that, and rolls itself back — the restore waits
// for the platform's approval. Against the emulator's real Postgres, through the public entry.
import { createNeonEmulator, type NeonEmulator } from '@rewind/neon-emulator';
import { createRewindApi, memoryStore, type RewindApi } from '@rewind/server';
import { generateText, type ModelMessage, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rewindAiTools } from './index';
import { newProject as createProject, query } from './test/emulator';

let neon: NeonEmulator;
let api: RewindApi;

beforeAll(async () => {
  neon = await createNeonEmulator({ operationDurationMs: 30, rateLimits: false });
  api = createRewindApi({
    neon: { apiKey: 'key', baseURL: neon.baseURL, fetch: neon.fetch as typeof fetch },
    store: memoryStore(),
    secret: 'ai-sdk-tools-test-secret-0123456789-xyz',
    budget: false,
  });
});
afterAll(() => neon.close());

const newProject = (name: string) => createProject(neon, name);

type Prompt = Array<{ role: string; content: unknown }>;
type ToolResultPart = { type: 'tool-result'; toolName: string; output: { type: string; value: unknown } };

/** What the tools answered so far, read from the prompt the SDK sends the model. */
function toolResults(prompt: Prompt): ToolResultPart[] {
  return prompt
    .filter((m) => m.role === 'tool')
    .flatMap((m) => m.content as ToolResultPart[])
    .filter((p) => p.type === 'tool-result');
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
const call = (toolName: string, input: unknown, step: number) => ({
  content: [
    { type: 'tool-call' as const, toolCallId: `call-${step}`, toolName, input: JSON.stringify(input) },
  ],
  finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
  usage,
  warnings: [],
});
const say = (text: string) => ({
  content: [{ type: 'text' as const, text }],
  finishReason: { unified: 'stop' as const, raw: 'stop' },
  usage,
  warnings: [],
});

/**
 * A scripted agent: each turn it reads the tool results so far and decides the next call, as a
 * model would: checkpoint, break the schema, checkpoint, list, roll back to the good version.
 */
function scriptedAgent() {
  return new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const results = toolResults(prompt as Prompt);
      const step = results.length;
      const done = (name: string) => results.some((r) => r.toolName === name);
      if (step === 0)
        return call('create_checkpoint', { label: 'todos table', prompt: 'make a todo app' }, step);
      if (step === 1) return call('run_sql', { sql: 'ALTER TABLE todos DROP COLUMN title' }, step);
      if (step === 2) return call('create_checkpoint', { label: 'drop title (broken)' }, step);
      if (step === 3) return call('list_versions', {}, step);
      if (!done('restore_version')) {
        const listed = results.find((r) => r.toolName === 'list_versions')?.output.value as {
          versions: Array<{ id: string; label: string }>;
        };
        const good = listed.versions.find((v) => v.label === 'todos table') as { id: string };
        return call('restore_version', { versionId: good.id }, step);
      }
      const restored = results.find((r) => r.toolName === 'restore_version')?.output;
      return say(`Rolled back: ${JSON.stringify(restored?.value)}`);
    },
  });
}

describe('rewindAiTools in an agent loop', () => {
  it('checkpoints, breaks, and rolls itself back once the platform approves', async () => {
    const { projectId, uri } = await newProject('ai-sdk-agent');
    await query(uri, `CREATE TABLE todos (id int, title text); INSERT INTO todos VALUES (1, 'ship it')`);
    const tools = {
      ...rewindAiTools({ api, target: { projectId } }),
      // The platform's own tool: the agent's change to the database.
      run_sql: tool({
        description: 'Run SQL on the app database',
        inputSchema: z.object({ sql: z.string() }),
        execute: async ({ sql }) => {
          await query(uri, sql);
          return { ok: true };
        },
      }),
    };
    const model = scriptedAgent();
    const first = await generateText({ model, tools, prompt: 'Build a todo app', stopWhen: stepCountIs(10) });

    // The run stops at the restore: an approval request, and nothing restored yet.
    const requests = first.content.filter((part) => part.type === 'tool-approval-request');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.toolCall.toolName).toBe('restore_version');
    expect(await query(uri, 'SELECT * FROM todos')).toEqual([{ id: 1 }]);

    // The human approves in the platform's UI; the loop goes on from there.
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Build a todo app' },
      ...first.response.messages,
      {
        role: 'tool',
        content: [
          { type: 'tool-approval-response', approvalId: requests[0]?.approvalId as string, approved: true },
        ],
      },
    ];
    const second = await generateText({ model, tools, messages, stopWhen: stepCountIs(10) });
    expect(second.text).toMatch(/^Rolled back: .*"restored":true/);
    expect(await query(uri, 'SELECT * FROM todos')).toEqual([{ id: 1, title: 'ship it' }]);
    const listed = await api.listVersions({ projectId });
    const good = listed.versions.find((v) => v.label === 'todos table');
    expect(listed.currentVersionId).toBe(good?.id);
  });

  it('a denied restore does not run; a platform callback can waive approval per call', async () => {
    const { projectId, uri } = await newProject('ai-sdk-deny');
    await query(uri, `CREATE TABLE todos (id int, title text)`);
    const seen: string[] = [];
    const tools = {
      ...rewindAiTools({ api, target: { projectId } }),
      run_sql: tool({
        description: 'Run SQL',
        inputSchema: z.object({ sql: z.string() }),
        execute: async ({ sql }) => {
          await query(uri, sql);
          return { ok: true };
        },
      }),
    };
    const model = scriptedAgent();
    const first = await generateText({ model, tools, prompt: 'go', stopWhen: stepCountIs(10) });
    const request = first.content.find((part) => part.type === 'tool-approval-request');
    const denied = await generateText({
      model,
      tools,
      messages: [
        { role: 'user', content: 'go' },
        ...first.response.messages,
        {
          role: 'tool',
          content: [
            { type: 'tool-approval-response', approvalId: request?.approvalId as string, approved: false },
          ],
        },
      ],
      stopWhen: stepCountIs(3),
    });
    expect(JSON.stringify(denied.response.messages)).toMatch(/denied|not approved/i);
    expect(
      await query(uri, 'SELECT column_name FROM information_schema.columns WHERE table_name = $$todos$$'),
    ).toEqual([{ column_name: 'id' }]);

    // The platform waives approval for this call (its own policy), and the agent runs through.
    const waived = await generateText({
      model: scriptedAgent(),
      tools: {
        ...tools,
        ...rewindAiTools({
          api,
          target: { projectId },
          approval: ({ toolName, input }) => {
            seen.push(`${toolName} ${JSON.stringify(input)}`);
            return false;
          },
        }),
      },
      prompt: 'go again',
      stopWhen: stepCountIs(10),
    });
    expect(seen).toHaveLength(1);
    expect(waived.text).toMatch(/^Rolled back/);
  });
});
