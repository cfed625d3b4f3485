import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { RewindError } from '@rewind/protocol';
import { z } from 'zod';
import { Confirmations } from './confirmations';
import { type RewindToolContext, type RewindToolName, rewindToolDefinitions } from './tools';

export interface RewindMcpServerOptions extends RewindToolContext {
  /**
   * How destructive tools (restore, undo) are approved. `'confirm'` (default): by the host's
   * elicitation when it offers it, otherwise by a one-time confirmation token (the first call
   * answers what would change and the token; a second call passes it back). `'none'`: they run
   * unasked (the platform approves elsewhere).
   */
  approval?: 'confirm' | 'none';
  /** How long a confirmation token stays valid (default 5 min). */
  confirmationTtlMs?: number;
  name?: string;
  version?: string;
}

const text = (value: unknown, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
  structuredContent: value as Record<string, unknown>,
  ...(isError ? { isError: true } : {}),
});

/** A model may read a RewindError's code and message; anything else is reported as internal. */
function failure(error: unknown): CallToolResult {
  const known = RewindError.is(error)
    ? { code: error.code, message: error.message }
    : { code: 'internal', message: 'The tool failed' };
  return text({ error: known }, true);
}

/**
 * An MCP server with Rewind's tools for one tenant's project (the same tools as
 * `rewindAiTools`). Connect it to a transport (`rewind-mcp` runs it over stdio).
 *
 * @example
 * const server = createRewindMcpServer({ api, target: { projectId } });
 * await server.connect(new StdioServerTransport());
 */
export function createRewindMcpServer(options: RewindMcpServerOptions): McpServer {
  const { approval = 'confirm', confirmationTtlMs, name = 'rewind', version = '0.1.0', ...context } = options;
  const server = new McpServer({ name, version });
  const confirmations = new Confirmations(confirmationTtlMs);

  for (const [toolName, definition] of Object.entries(rewindToolDefinitions)) {
    const gated = definition.destructive && approval === 'confirm';
    // The one place the shared definition becomes MCP's: a destructive tool also takes the token.
    const inputSchema = gated
      ? definition.input.extend({
          confirmationToken: z
            .string()
            .optional()
            .describe(
              'Leave out at first; pass back the token the first call answered, after a human confirmed',
            ),
        })
      : definition.input;
    server.registerTool(
      toolName,
      {
        description: gated
          ? `${definition.description} The first call answers what would change and a confirmationToken; show it to the user, and call again with the token only if they agree.`
          : definition.description,
        inputSchema,
        annotations: {
          destructiveHint: definition.destructive,
          readOnlyHint:
            !definition.destructive && toolName !== 'create_checkpoint' && toolName !== 'preview_version',
        },
      },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        const { confirmationToken, ...input } = args;
        try {
          if (gated) {
            const approved = await approve(toolName as RewindToolName, input, confirmationToken);
            if (approved !== true) return approved;
          }
          return text(await definition.run(context, input as never));
        } catch (error) {
          return failure(error);
        }
      },
    );
  }

  // Elicitation where the host offers it; otherwise the two-call token.
  async function approve(
    toolName: RewindToolName,
    input: Record<string, unknown>,
    token: unknown,
  ): Promise<true | CallToolResult> {
    const definition = rewindToolDefinitions[toolName];
    if (typeof token === 'string') {
      if (confirmations.consume(token, toolName, input)) return true;
      return text(
        {
          error: {
            code: 'confirmation_invalid',
            message:
              'This confirmation token is unknown, used, expired or for another call; call again without it',
          },
        },
        true,
      );
    }
    const wouldChange = await definition.preview?.(context, input as never);
    if (server.server.getClientCapabilities()?.elicitation) {
      const answer = await server.server.elicitInput({
        message: `Approve ${toolName}? ${JSON.stringify(wouldChange)}`,
        requestedSchema: {
          type: 'object',
          properties: { approve: { type: 'boolean', title: 'Approve', description: 'Run it' } },
          required: ['approve'],
        },
      });
      if (answer.action === 'accept' && answer.content?.approve === true) return true;
      return text({ approved: false, message: 'The user did not approve; nothing was changed' });
    }
    return text({
      needsConfirmation: true,
      wouldChange,
      confirmationToken: confirmations.issue(toolName, input),
      message: `Nothing changed yet. Show this to the user; if they agree, call ${toolName} again with the same input and this confirmationToken.`,
    });
  }

  return server;
}
