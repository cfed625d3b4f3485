import type { CreatePreviewResponse, RewindError } from '@rewind/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useRewind } from '../provider';
import { versionsKey } from './use-versions';

/**
 * Open a version in a preview branch (with its schema diff against live), then discard it or
 * promote it with `useRestore().promote(preview.id, versionId)`.
 */
export function usePreview() {
  const { client, scope } = useRewind();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState<CreatePreviewResponse | null>(null);
  const open = useMutation<CreatePreviewResponse, RewindError, { versionId: string }>({
    mutationFn: ({ versionId }) => client.createPreview(versionId),
    onSuccess: (result) => setCurrent(result),
  });
  const discard = useMutation<void, RewindError, void>({
    mutationFn: async () => {
      if (current) await client.discardPreview(current.preview.id);
    },
    onSuccess: () => {
      setCurrent(null);
      void queryClient.invalidateQueries({ queryKey: versionsKey(scope) });
    },
  });
  return { preview: current, open, discard, clear: () => setCurrent(null) };
}
