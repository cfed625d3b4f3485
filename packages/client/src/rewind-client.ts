import {
  type CreatePreviewResponse,
  type CreateVersionBody,
  isTerminalRestoreEvent,
  type ListVersionsResponse,
  type Preview,
  type RestoreEvent,
  RewindError,
  type SchemaDiff,
  type Version,
  type VersionChangesResponse,
  type VersionDiff,
  type VersionDiffResponse,
} from '@rewind/protocol';
import { readRestoreStream } from './read-restore-stream';

/** Headers as a value or a function (for tokens that refresh). */
export type HeadersInit =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

export interface RewindClientOptions {
  /** The handler's base URL, e.g. `/api/rewind`. */
  url: string;
  headers?: HeadersInit | undefined;
  /** The fetch to use; defaults to the global one at call time. */
  fetch?: typeof fetch | undefined;
  credentials?: RequestCredentials | undefined;
}

/** What a restore stream hands back while it runs. */
export interface RestoreStreamHandlers {
  onEvent: (event: RestoreEvent) => void;
  /** The token to follow this restore from anywhere (response header, then the started event). */
  onToken?: (token: string) => void;
  signal?: AbortSignal | undefined;
}

/**
 * A tiny client for `@rewind/server`: JSON calls, and restore streams read with `fetch` +
 * `eventsource-parser` (EventSource cannot POST or send headers). Framework-free: no React, no
 * `'use client'`, so Node services, React Server Components and agents use it as browsers do.
 */
export class RewindClient {
  constructor(readonly options: RewindClientOptions) {}

  async #request(path: string, init: RequestInit = {}): Promise<Response> {
    const extra =
      typeof this.options.headers === 'function' ? await this.options.headers() : this.options.headers;
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
    if (init.body !== undefined && !headers.has('content-type'))
      headers.set('content-type', 'application/json');
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await fetchImpl(`${this.options.url.replace(/\/$/, '')}${path}`, {
        ...init,
        headers,
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      // Marked, so callers can tell "no answer" (maybe the page is unloading) from a refusal.
      throw new RewindError('neon_unavailable', 'The Rewind server could not be reached', {
        details: { network: true },
        cause: error,
      });
    }
    if (!response.ok) {
      const body = await response.json().catch(() => undefined);
      const error = RewindError.fromJSON(body, `The Rewind server answered ${response.status}`);
      // The HTTP status travels along: a proxy's 502 page during a deploy is not Rewind's verdict.
      throw new RewindError(error.code, error.message, {
        details: { ...error.details, httpStatus: response.status },
      });
    }
    return response;
  }

  async #json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.#request(path, init)).json()) as T;
  }

  listVersions(signal?: AbortSignal): Promise<ListVersionsResponse> {
    return this.#json('/versions', { signal: signal ?? null });
  }

  async createVersion(body: CreateVersionBody, idempotencyKey?: string): Promise<Version> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return (
      await this.#json<{ version: Version }>('/versions', {
        method: 'POST',
        body: JSON.stringify(body),
        headers,
      })
    ).version;
  }

  /** Pin (or unpin) a version: retention never prunes a pinned one. */
  async pinVersion(id: string, pinned: boolean): Promise<Version> {
    return (
      await this.#json<{ version: Version }>(`/versions/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        body: JSON.stringify({ pinned }),
      })
    ).version;
  }

  async renameVersion(id: string, label: string): Promise<Version> {
    const path = `/versions/${encodeURIComponent(id)}`;
    return (
      await this.#json<{ version: Version }>(path, { method: 'PATCH', body: JSON.stringify({ label }) })
    ).version;
  }

  async deleteVersion(id: string): Promise<void> {
    await this.#request(`/versions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** What restoring the version changes, and whether it can be undone (true from older servers). */
  async diffVersion(id: string, signal?: AbortSignal): Promise<VersionDiff> {
    const body = await this.#json<VersionDiffResponse>(`/versions/${encodeURIComponent(id)}/diff`, {
      method: 'POST',
      body: '{}',
      signal: signal ?? null,
    });
    return { ...body.diff, undoable: body.undoable ?? true };
  }

  /** What the version changed in the schema against its parent; null when unknown. */
  async versionChanges(id: string, signal?: AbortSignal): Promise<SchemaDiff | null> {
    const body = await this.#json<VersionChangesResponse>(`/versions/${encodeURIComponent(id)}/changes`, {
      signal: signal ?? null,
    });
    return body.changes;
  }

  createPreview(versionId: string): Promise<CreatePreviewResponse> {
    return this.#json(`/versions/${encodeURIComponent(versionId)}/preview`, { method: 'POST', body: '{}' });
  }

  async listPreviews(): Promise<Preview[]> {
    return (await this.#json<{ previews: Preview[] }>('/previews')).previews;
  }

  async discardPreview(id: string): Promise<void> {
    await this.#request(`/previews/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** Start a restore and stream its events until it ends. Resolves with the terminal event. */
  restore(versionId: string, options: { undoable?: boolean }, handlers: RestoreStreamHandlers) {
    return this.#stream(
      `/versions/${encodeURIComponent(versionId)}/restore`,
      { method: 'POST', body: JSON.stringify({ undoable: options.undoable ?? true }) },
      handlers,
    );
  }

  undo(handlers: RestoreStreamHandlers) {
    return this.#stream('/undo', { method: 'POST', body: '{}' }, handlers);
  }

  promotePreview(previewId: string, handlers: RestoreStreamHandlers) {
    return this.#stream(
      `/previews/${encodeURIComponent(previewId)}/promote`,
      { method: 'POST', body: '{}' },
      handlers,
    );
  }

  /** Follow a running (or finished) restore from after `lastEventId`. */
  follow(token: string, lastEventId: number, handlers: RestoreStreamHandlers) {
    const headers: Record<string, string> = lastEventId > 0 ? { 'last-event-id': String(lastEventId) } : {};
    return this.#stream(`/restores/${encodeURIComponent(token)}/events`, { headers }, handlers);
  }

  /**
   * Read an SSE response. Resolves with the terminal event, or `null` when the stream ended
   * without one (a dropped connection: the restore goes on, reconnect with `follow`).
   */
  async #stream(
    path: string,
    init: RequestInit,
    handlers: RestoreStreamHandlers,
  ): Promise<RestoreEvent | null> {
    const response = await this.#request(path, { ...init, signal: handlers.signal ?? null });
    const headerToken = response.headers.get('rewind-restore-token');
    if (headerToken) handlers.onToken?.(headerToken);
    try {
      for await (const event of readRestoreStream(response)) {
        if (event.event === 'restore.started') handlers.onToken?.(event.data.token);
        handlers.onEvent(event);
        if (isTerminalRestoreEvent(event)) return event;
      }
    } catch (error) {
      if (handlers.signal?.aborted) throw error;
    }
    return null;
  }
}
