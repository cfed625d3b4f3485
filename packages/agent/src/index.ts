export { type RewindAiToolsOptions, rewindAiTools } from './ai-sdk-tools';
export { createRewindMcpServer, type RewindMcpServerOptions } from './mcp-server';
export {
  diffSummary,
  type RewindToolContext,
  type RewindToolDefinition,
  type RewindToolName,
  rewindToolDefinitions,
  versionSummary,
} from './tools';
