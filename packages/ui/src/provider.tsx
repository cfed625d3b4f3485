import { type HeadersInit, RewindClient } from '@rewind/client';
import { QueryClient, QueryClientContext, QueryClientProvider } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useMemo, useState } from 'react';
import { mergeStrings, type RewindStrings } from './strings';

interface RewindContextValue {
  client: RewindClient;
  strings: RewindStrings;
  /** Query keys are scoped by URL so two providers never share a cache entry. */
  scope: string;
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
  const value = useMemo(() => ({ client, strings: merged, scope: url }), [client, merged, url]);
  const appClient = useContext(QueryClientContext);
  const [ownClient] = useState(() => queryClient ?? appClient ?? new QueryClient());
  const inner = <RewindContext.Provider value={value}>{children}</RewindContext.Provider>;
  if (!queryClient && appClient) return inner;
  return <QueryClientProvider client={ownClient}>{inner}</QueryClientProvider>;
}

export function useRewind(): RewindContextValue {
  const value = useContext(RewindContext);
  if (!value) throw new Error('Rewind hooks and components must be used inside <RewindProvider>.');
  return value;
}
