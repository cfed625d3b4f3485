// A fake Rewind server for component tests: a `fetch` that answers like @rewind/server does,
// with restore streams written as real text/event-stream bytes.
import {
  encodeRestoreEvent,
  type ListVersionsResponse,
  type RestoreEvent,
  RewindError,
  type SchemaDiff,
  type Version,
} from '@rewind/protocol';

export function version(id: string, overrides: Partial<Version> = {}): Version {
  return {
    id,
    label: `Version ${id}`,
    prompt: null,
    codeRef: null,
    parentId: null,
    snapshotId: `snap-${id}`,
    kind: 'manual',
    createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    expiresAt: null,
    current: false,
    pinned: false,
    metadata: {},
    ...overrides,
  };
}

export function listOf(
  versions: Version[],
  overrides: Partial<ListVersionsResponse> = {},
): ListVersionsResponse {
  return {
    versions,
    currentVersionId: versions.find((v) => v.current)?.id ?? null,
    liveBranch: { id: 'br-live', name: 'main' },
    activeRestore: null,
    undoVersionId: null,
    restores: [],
    ...overrides,
  };
}

/** A restore's events in the order the server sends them (undo point after "finalized"). */
export function restoreEvents(
  versionId: string,
  token = 'tok-1',
  undoVersionId: string | null = 'v-undo',
): RestoreEvent[] {
  const events: RestoreEvent[] = [
    {
      event: 'restore.started',
      id: 1,
      data: { versionId, token, undoVersionId, startedAt: new Date().toISOString() },
    },
    {
      event: 'restore.operation',
      id: 2,
      data: { operationId: 'op-1', action: 'create_branch', status: 'running', phase: 'restoring' },
    },
    { event: 'restore.progress', id: 3, data: { phase: 'restoring', progress: 0.6, settled: 2, total: 2 } },
    {
      event: 'restore.finalized',
      id: 4,
      data: { branchId: 'br-new', versionId, undoVersionId: null },
    },
    {
      event: 'restore.progress',
      id: 5,
      data: { phase: 'undo-snapshot', progress: 0.9, settled: 1, total: 1 },
    },
  ];
  if (undoVersionId) events.push({ event: 'restore.undo-available', id: 6, data: { undoVersionId } });
  events.push(
    { event: 'restore.progress', id: 7, data: { phase: 'cleanup', progress: 1, settled: 1, total: 1 } },
    {
      event: 'restore.succeeded',
      id: 8,
      data: { versionId, undoVersionId, branchId: 'br-new', finishedAt: new Date().toISOString() },
    },
  );
  return events;
}

/** A streamed SSE response; `gate` lets a test hold the stream after some events. */
export function sseResponse(
  events: RestoreEvent[],
  options: { token?: string; delayMs?: number; endEarly?: boolean } = {},
) {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const event of events) {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        controller.enqueue(encoder.encode(encodeRestoreEvent(event)));
      }
      controller.close();
    },
  });
  const headers = new Headers({ 'content-type': 'text/event-stream' });
  if (options.token) headers.set('rewind-restore-token', options.token);
  return new Response(body, { status: 200, headers });
}

export function jsonResponse(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function errorResponse(error: RewindError) {
  return jsonResponse(error.toJSON(), error.status);
}

export type Route = (request: Request) => Response | Promise<Response>;

/** A fetch that routes `METHOD /path` to handlers and records every request. */
export function fakeFetch(routes: Record<string, Route>) {
  const calls: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(
      typeof input === 'string' && input.startsWith('/') ? `http://app.test${input}` : input,
      init,
    );
    calls.push(request.clone());
    const path = new URL(request.url).pathname.replace(/^\/api\/rewind/, '');
    const route = routes[`${request.method} ${path}`];
    if (!route) return errorResponse(new RewindError('not_found', `no fake route ${request.method} ${path}`));
    return route(request);
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export const noDiff: SchemaDiff = { text: '', tables: [], complete: true };
