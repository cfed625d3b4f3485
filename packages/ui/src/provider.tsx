import { type HeadersInit, RewindClient } from '@rewind/client';
import { QueryClient, QueryClientContext, QueryClientProvider } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { versionsKey } from './query-keys';
import { RestoreSession } from './restore-session';
import { mergeStrings, type RewindStrings } from './strings';

interface RewindContextValue {
  client: RewindClient;
  strings: RewindStrings;
  /** Query keys are scoped by URL so two providers never share a cache entry. */
  scope: string;
  /** The project's restore on this page: one stream, shared by every component. */
  restore: RestoreSession;
}

function sessionStorageOrNone(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

const RewindContext = createContext<RewindContextValue | null>(null);

export interface RewindProviderProps {
  /** The handler's URL, e.g. `/api/rewind`. */
  url: string;
  /** Your auth, as a value or an async function (called per request). */
  headers?: HeadersInit;
  fetch?: typeof fetch;
  credentials?: RequestCredentials;
  /** Any subset of the kit's strings. */
  strings?: Parameters<typeof mergeStrings>[0];
  /** A QueryClient to use; by default the app's (if any), else one of the kit's own. */
  queryClient?: QueryClient;
  children: ReactNode;
}

/**
 * Configures the kit for a subtree.
 *
 * @example
 * <RewindProvider url="/api/rewind" headers={async () => ({ authorization: await token() })}>
 *   <VersionTimeline />
 * </RewindProvider>
 */
export function RewindProvider({
  url,
  headers,
  fetch,
  credentials,
  strings,
  queryClient,
  children,
}: RewindProviderProps) {
  const client = useMemo(
    () => new RewindClient({ url, headers, fetch, credentials }),
    [url, headers, fetch, credentials],
  );
  const merged = useMemo(() => mergeStrings(strings), [strings]);
  const appClient = useContext(QueryClientContext);
  const [ownClient] = useState(() => queryClient ?? appClient ?? new QueryClient());
  const cache = queryClient ?? appClient ?? ownClient;
  // One restore per project and page, whatever re-renders; it always calls the latest client.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new client (new headers) keeps the session.
  const restore = useMemo(
    () =>
      new RestoreSession(client, {
        storage: sessionStorageOrNone(),
        storageKey: `rewind:restore:${url}`,
        onVersionsChanged: () => cache.invalidateQueries({ queryKey: versionsKey(url) }),
      }),
    [url, cache],
  );
  restore.client = client;
  useEffect(() => () => restore.close(), [restore]);
  const value = useMemo(
    () => ({ client, strings: merged, scope: url, restore }),
    [client, merged, url, restore],
  );
  const inner = <RewindContext.Provider value={value}>{children}</RewindContext.Provider>;
  if (!queryClient && appClient) return inner;
  return <QueryClientProvider client={ownClient}>{inner}</QueryClientProvider>;
}

export function useRewind(): RewindContextValue {
  const value = useContext(RewindContext);
  if (!value) throw new Error('Rewind hooks and components must be used inside <RewindProvider>.');
  return value;
}
