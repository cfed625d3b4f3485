import type { CreateVersionBody, ListVersionsResponse, RewindError, Version } from '@rewind/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useRewind } from '../provider';

import { versionsKey } from '../query-keys';

export { versionsKey };

/**
 * The versions a timeline shows: what the agent or user saved. An automatic undo point belongs to
 * its restore event and is hidden, unless it is current ("v3 + later changes"), something was
 * built on it, or `showBackups` asks for every one. Chronological, as the server lists them.
 */
export function visibleVersions(versions: readonly Version[], showBackups = false): Version[] {
  if (showBackups) return [...versions];
  const needed = new Set<string>();
  const shown: Version[] = [];
  // Newest first: a version's children are newer, so they are seen before it.
  for (let i = versions.length - 1; i >= 0; i--) {
    const version = versions[i] as Version;
    if (version.kind === 'pre-restore' && !version.current && !needed.has(version.id)) continue;
    shown.push(version);
    if (version.parentId) needed.add(version.parentId);
  }
  return shown.reverse();
}

export interface UseVersionsOptions {
  refetchInterval?: number | false;
  /** List the automatic undo points too (default false: they belong to their restore events). */
  showBackups?: boolean;
}

/** The project's versions, the current one, its restores, and any restore running now. */
export function useVersions(options: UseVersionsOptions = {}) {
  const { client, scope } = useRewind();
  const showBackups = options.showBackups ?? false;
  return useQuery<ListVersionsResponse, RewindError>({
    queryKey: versionsKey(scope),
    queryFn: ({ signal }) => client.listVersions(signal),
    select: useCallback(
      (data: ListVersionsResponse) =>
        showBackups
          ? data
          : { ...data, versions: visibleVersions(data.versions), restores: data.restores ?? [] },
      [showBackups],
    ),
    refetchInterval: options.refetchInterval ?? false,
    // Retry what may pass (Neon busy or unreachable), quickly; never auth or validation errors.
    retry: (count, error) => count < 2 && ['neon_unavailable', 'locked', 'rate_limited'].includes(error.code),
    retryDelay: (attempt) => 300 * 2 ** attempt,
  });
}

function useInvalidate() {
  const { scope } = useRewind();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: versionsKey(scope) });
}

/** Create a version (snapshot the live database). Pass an idempotency key to make retries safe. */
export function useCreateVersion() {
  const { client } = useRewind();
  const invalidate = useInvalidate();
  return useMutation<Version, RewindError, CreateVersionBody & { idempotencyKey?: string }>({
    mutationFn: ({ idempotencyKey, ...body }) => client.createVersion(body, idempotencyKey),
    onSettled: invalidate,
  });
}

export function useRenameVersion() {
  const { client } = useRewind();
  const invalidate = useInvalidate();
  return useMutation<Version, RewindError, { id: string; label: string }>({
    mutationFn: ({ id, label }) => client.renameVersion(id, label),
    onSettled: invalidate,
  });
}

export function useDeleteVersion() {
  const { client } = useRewind();
  const invalidate = useInvalidate();
  return useMutation<void, RewindError, { id: string }>({
    mutationFn: ({ id }) => client.deleteVersion(id),
    onSettled: invalidate,
  });
}

/** Schema diff of a version against the live database (what a restore would change). */
export function useVersionDiff(versionId: string | null) {
  const { client, scope } = useRewind();
  return useQuery({
    queryKey: ['rewind', scope, 'diff', versionId],
    queryFn: ({ signal }) => client.diffVersion(versionId as string, signal),
    enabled: versionId !== null,
    staleTime: 0,
    gcTime: 0,
    // Each fetch makes a Neon branch: only when the dialog asks, never on focus or reconnect.
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

/** What a version changed in the schema against its parent: store-only on the server, cached. */
export function useVersionChanges(versionId: string, enabled = true) {
  const { client, scope } = useRewind();
  return useQuery({
    queryKey: ['rewind', scope, 'changes', versionId],
    queryFn: ({ signal }) => client.versionChanges(versionId, signal),
    enabled,
    // A version's schema and its parent's never change.
    staleTime: Number.POSITIVE_INFINITY,
  });
}
