import { type Tool, tool } from 'ai';
import { type RewindToolContext, type RewindToolName, rewindToolDefinitions } from './tools';

export interface RewindAiToolsOptions extends RewindToolContext {
  /**
   * Who approves a destructive tool (restore, undo). Default `'required'`: the AI SDK's tool
   * approval asks for every call (the run stops with a `tool-approval-request`; answer it with a
   * `tool-approval-response`). A function decides per call whether approval is needed (return
   * false to let that call run, e.g. a restore of a version this run made). `'none'` opts out:
   * destructive tools run unasked.
   */
  approval?:
    | 'required'
    | 'none'
    | ((call: { toolName: RewindToolName; input: unknown }) => boolean | Promise<boolean>);
}

/**
 * Rewind's tools for the AI SDK (`generateText`, `streamText`, `ToolLoopAgent`): checkpoint,
 * list, diff, restore, undo and preview one tenant's database.
 *
 * @example
 * const result = await generateText({ model, tools: rewindAiTools({ api, target: { projectId } }), prompt });
 */
export function rewindAiTools(options: RewindAiToolsOptions): Record<RewindToolName, Tool> {
  const { approval = 'required', ...context } = options;
  const entries = Object.entries(rewindToolDefinitions).map(([name, definition]) => {
    const toolName = name as RewindToolName;
    const needsApproval = !definition.destructive
      ? false
      : approval === 'none'
        ? false
        : approval === 'required'
          ? true
          : (input: unknown) => approval({ toolName, input });
    return [
      toolName,
      tool<Record<string, unknown>, unknown>({
        description: definition.description,
        inputSchema: definition.input as never,
        needsApproval,
        execute: (input) => definition.run(context, input as never),
      }),
    ] as const;
  });
  return Object.fromEntries(entries) as Record<RewindToolName, Tool>;
}
