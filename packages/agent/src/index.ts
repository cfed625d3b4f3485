export { type RewindAiToolsOptions, rewindAiTools } from './ai-sdk-tools';
export { type CodeStore, type CompoundFields, compoundCheckpoints, compoundOf } from './code-store';
export { gitCodeStore } from './git-code-store';
export { createRewindMcpServer, type RewindMcpServerOptions } from './mcp-server';
export {
  diffSummary,
  type RewindToolContext,
  type RewindToolDefinition,
  type RewindToolName,
  rewindToolDefinitions,
  versionSummary,
} from './tools';
