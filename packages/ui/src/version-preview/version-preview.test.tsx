import { schemaDiffTable } from '@rewind/protocol';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { RewindProvider } from '../provider';
import { fakeFetch, jsonResponse, restoreEvents, sseResponse } from '../test/fake-api';
import { VersionPreview } from './version-preview';

const created = {
  preview: { id: 'pv1', versionId: 'v1', createdAt: 'now', expiresAt: 'later', state: 'ready' },
  diff: {
    text: '',
    tables: [schemaDiffTable('public.notes', 'removed')],
    complete: true,
  },
};

function setup() {
  const api = fakeFetch({
    'POST /versions/v1/preview': () => jsonResponse(created, 201),
    'DELETE /previews/pv1': () => new Response(null, { status: 204 }),
    'POST /previews/pv1/promote': () => sseResponse(restoreEvents('v1', 'tp'), { token: 'tp' }),
    'POST /versions/v1/diff': () => jsonResponse({ diff: created.diff }),
  });
  render(
    <RewindProvider url="/api/rewind" fetch={api.fetch}>
      <VersionPreview versionId="v1" label="First" />
    </RewindProvider>,
  );
  return api;
}

describe('<VersionPreview>', () => {
  it('opens a preview with its diff, then discards it', async () => {
    const { calls } = setup();
    await userEvent.click(screen.getByRole('button', { name: 'Preview First' }));
    const region = await screen.findByRole('region', { name: 'Preview of “First”' });
    expect(within(region).getByText('public.notes goes away')).toBeInTheDocument();
    await userEvent.click(within(region).getByRole('button', { name: 'Discard' }));
    await waitFor(() => expect(screen.queryByRole('region')).not.toBeInTheDocument());
    expect(calls.some((r) => r.method === 'DELETE' && r.url.endsWith('/previews/pv1'))).toBe(true);
  });

  it('promotes a preview with progress to success and Undo', async () => {
    setup();
    await userEvent.click(screen.getByRole('button', { name: 'Preview First' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Make live' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored “First”.'));
    expect(screen.getByRole('button', { name: 'Undo' })).toBeInTheDocument();
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
  });
});
