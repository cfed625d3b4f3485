// The demo app's own calls (not Rewind's): live data, prompts, SQL, and what Neon sees.
export interface Contacts {
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

export interface NeonView {
  branches: Array<{
    id: string;
    name: string;
    default: boolean;
    restoreStatus: string | null;
    state: string;
  }>;
  operations: Array<{
    id: string;
    action: string;
    status: string;
    branchId: string | null;
    updatedAt: string;
  }>;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { 'content-type': 'application/json', ...init?.headers },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

export const getContacts = () => call<Contacts>('/api/app/contacts');
export const getPrompts = () =>
  call<{ prompts: Array<{ id: string; label: string; prompt: string }> }>('/api/app/prompts');
export const runPrompt = (id: string) => call(`/api/app/prompts/${id}`, { method: 'POST' });
export const runSql = (sql: string) =>
  call('/api/app/sql', { method: 'POST', body: JSON.stringify({ sql }) });
export const getNeonView = () => call<NeonView>('/api/app/neon');

export interface AgentTurn {
  runId: string;
  steps: Array<{ kind: 'say' | 'tool'; text: string; toolName?: string }>;
  approval: { approvalId: string; toolName: string; versionLabel: string | null } | null;
  done: boolean;
}
export const startAgent = () => call<AgentTurn>('/api/app/agent/runs', { method: 'POST', body: '{}' });
export const answerAgent = (runId: string, approvalId: string, approved: boolean) =>
  call<AgentTurn>(`/api/app/agent/runs/${encodeURIComponent(runId)}/approval`, {
    method: 'POST',
    body: JSON.stringify({ approvalId, approved }),
  });
