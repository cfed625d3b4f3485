// The playground's agent: a scripted model (the AI SDK's mock model, no key needed) that builds
// the contacts app prompt by prompt through tools, checkpointing after each (the change and its
// version under the project's lock), then breaks the app, notices, and asks to roll back. The
// restore waits for the human's approval in the UI: the AI SDK's tool approval.
import { rewindAiTools } from '@rewind/agent';
import { RewindError } from '@rewind/protocol';
import type { RewindApi } from '@rewind/server';
import { generateText, type ModelMessage, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { PROMPTS } from './prompts.ts';

/** One line of what the agent did, as the panel shows it. */
export interface AgentStep {
  kind: 'say' | 'tool';
  text: string;
  toolName?: string;
}

export interface AgentTurn {
  runId: string;
  steps: AgentStep[];
  /** Set while the run waits for a human: what it wants to do. */
  approval: { approvalId: string; toolName: string; versionLabel: string | null } | null;
  done: boolean;
}

const BREAK = {
  label: 'v4: merge name and email',
  sql: `ALTER TABLE contacts DROP COLUMN email;`,
};

type Prompt = Array<{ role: string; content: unknown }>;
type ToolResult = { type: string; toolName: string; output: { type: string; value: unknown } };
const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

function script() {
  let calls = 0;
  const toolCall = (toolName: string, input: unknown, say?: string) => ({
    content: [
      ...(say ? [{ type: 'text' as const, text: say }] : []),
      { type: 'tool-call' as const, toolCallId: `call-${++calls}`, toolName, input: JSON.stringify(input) },
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
  return new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const results = (prompt as Prompt)
        .filter((m) => m.role === 'tool')
        .flatMap((m) => m.content as ToolResult[])
        .filter((p) => p.type === 'tool-result');
      const applied = results.filter((r) => r.toolName === 'apply_change').length;
      if (applied < PROMPTS.length) {
        const step = PROMPTS[applied] as (typeof PROMPTS)[number];
        return toolCall(
          'apply_change',
          { sql: step.sql, label: step.label, prompt: step.prompt },
          step.prompt,
        );
      }
      if (applied === PROMPTS.length)
        return toolCall(
          'apply_change',
          { ...BREAK, prompt: 'Tidy the contacts table.' },
          'Tidying the table.',
        );
      const checked = results.filter((r) => r.toolName === 'check_app');
      if (checked.length === 0) return toolCall('check_app', {}, 'Checking that the app still works.');
      const restore = results.find((r) => r.toolName === 'restore_version');
      if (restore) {
        const denied = restore.output.type === 'execution-denied';
        return say(
          denied
            ? 'Understood: I left the database as it is.'
            : 'Rolled back to “v3: tags”: the app works again.',
        );
      }
      const listed = results.find((r) => r.toolName === 'list_versions');
      if (!listed)
        return toolCall(
          'list_versions',
          {},
          'The app is broken: the email column is gone. Looking for the last good version.',
        );
      const versions = (listed.output.value as { versions: Array<{ id: string; label: string }> }).versions;
      const good = versions.find((v) => v.label === 'v3: tags');
      if (!good) return say('I could not find a good version to go back to.');
      return toolCall(
        'restore_version',
        { versionId: good.id },
        'Restoring “v3: tags” (needs your approval).',
      );
    },
  });
}

/** The agent, with its runs kept in memory until they end (one playground, one user). */
export function createScriptedAgent(
  api: RewindApi,
  projectId: string,
  /** What the app's own check finds wrong with the live database, or null. */
  check: () => Promise<string | null>,
  /** The playground's own change-and-version step (SQL in a transaction under `withVersion`). */
  apply: (sql: string, label: string, prompt: string) => Promise<{ id: string; label: string }>,
) {
  const target = { projectId };
  const runs = new Map<
    string,
    { messages: ModelMessage[]; steps: AgentStep[]; model: ReturnType<typeof script> }
  >();
  const tools = {
    ...rewindAiTools({ api, target }),
    apply_change: tool({
      description: 'Apply SQL to the app database and save the result as a version (under the project lock)',
      inputSchema: z.object({ sql: z.string(), label: z.string(), prompt: z.string() }),
      execute: async ({ sql, label, prompt }) => {
        const version = await apply(sql, label, prompt);
        return { versionId: version.id, label: version.label };
      },
    }),
    check_app: tool({
      description: 'Check that the contacts app can read what it needs',
      inputSchema: z.object({}),
      execute: async () => {
        const problem = await check();
        return problem ? { ok: false, problem } : { ok: true };
      },
    }),
  };

  async function advance(runId: string): Promise<AgentTurn> {
    const run = runs.get(runId);
    if (!run) throw new RewindError('not_found', 'No such agent run');
    const result = await generateText({
      model: run.model,
      tools,
      messages: run.messages,
      stopWhen: stepCountIs(20),
    });
    run.messages.push(...result.response.messages);
    for (const step of result.steps) {
      if (step.text) run.steps.push({ kind: 'say', text: step.text });
      for (const call of step.toolCalls) {
        const output = step.toolResults.find((r) => r.toolCallId === call.toolCallId);
        if (output)
          run.steps.push({
            kind: 'tool',
            toolName: call.toolName,
            text: summarize(call.toolName, call.input, output.output),
          });
      }
    }
    const request = result.content.find((part) => part.type === 'tool-approval-request');
    const done = !request;
    if (done) runs.delete(runId);
    let versionLabel: string | null = null;
    if (request) {
      const input = request.toolCall.input as { versionId?: string };
      versionLabel = input.versionId ? (await api.getVersion(target, input.versionId)).label : null;
    }
    return {
      runId,
      steps: run.steps,
      approval: request
        ? { approvalId: request.approvalId, toolName: request.toolCall.toolName, versionLabel }
        : null,
      done,
    };
  }

  return {
    async start(): Promise<AgentTurn> {
      const runId = crypto.randomUUID();
      runs.set(runId, {
        messages: [{ role: 'user', content: 'Build me a contacts app.' }],
        steps: [],
        model: script(),
      });
      return advance(runId);
    },
    async answer(runId: string, approvalId: string, approved: boolean): Promise<AgentTurn> {
      const run = runs.get(runId);
      if (!run) throw new RewindError('not_found', 'No such agent run');
      run.messages.push({
        role: 'tool',
        content: [{ type: 'tool-approval-response', approvalId, approved }],
      });
      run.steps.push({
        kind: 'say',
        text: approved ? 'You approved the restore.' : 'You declined the restore.',
      });
      return advance(runId);
    },
  };
}

function summarize(toolName: string, input: unknown, output: unknown): string {
  const value = output as Record<string, unknown>;
  if (toolName === 'apply_change') return `Saved version “${String(value.label)}”`;
  if (toolName === 'check_app')
    return value.ok ? 'App check passed' : `App check failed: ${String(value.problem)}`;
  if (toolName === 'list_versions') return `Listed ${(value.versions as unknown[]).length} versions`;
  if (toolName === 'restore_version') return `Restored ${String(value.versionId)}`;
  return `${toolName}(${JSON.stringify(input)})`;
}
