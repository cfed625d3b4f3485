import { type RestoreEntry, RewindError, schemaDiffTable, type Version } from '@rewind/protocol';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { RewindProvider } from '../provider';
import { errorResponse, fakeFetch, jsonResponse, listOf, version } from '../test/fake-api';
import { VersionTimeline } from './version-timeline';

function renderTimeline(fetch: typeof globalThis.fetch, props: Parameters<typeof VersionTimeline>[0] = {}) {
  return render(
    <RewindProvider url="/api/rewind" fetch={fetch}>
      <VersionTimeline {...props} />
    </RewindProvider>,
  );
}

describe('<VersionTimeline>', () => {
  it('shows versions newest first with the live one marked, badges, prompts and forks', async () => {
    const versions = [
      version('v1', { label: 'Create contacts', prompt: 'Make a contacts table\nwith names' }),
      version('v2', { label: 'Add company', parentId: 'v1' }),
      version('v3', {
        label: 'After rollback',
        parentId: 'v1',
        current: true,
        expiresAt: new Date(Date.now() + 86_400_000 * 3).toISOString(),
      }),
      version('v4', { label: 'Before restoring', parentId: 'v3', kind: 'pre-restore' }),
    ];
    const { fetch } = fakeFetch({ 'GET /versions': () => jsonResponse(listOf(versions)) });
    renderTimeline(fetch, { showBackups: true });
    const region = await screen.findByRole('region', { name: 'Database versions' });
    const items = await within(region).findAllByRole('listitem');
    expect(items.map((li) => li.querySelector('[data-slot="label"]')?.textContent)).toEqual([
      'Before restoring',
      'After rollback',
      'Add company',
      'Create contacts',
    ]);
    const current = items[1] as HTMLElement;
    expect(current).toHaveAttribute('aria-current', 'true');
    expect(current).toHaveAttribute('data-state', 'current');
    expect(within(current).getByText('Current')).toBeInTheDocument();
    expect(within(current).getByText('Expires in 3 days')).toBeInTheDocument();
    expect(within(current).getByText('Branched from “Create contacts”')).toBeInTheDocument();
    expect(within(items[3] as HTMLElement).getByText('Make a contacts table')).toBeInTheDocument();
    expect(within(items[0] as HTMLElement).getByText('Automatic backup')).toBeInTheDocument();
    expect(items.filter((li) => li.hasAttribute('aria-current'))).toHaveLength(1);
    // Forks drawn as forks: "Add company", left behind by the rollback, runs in its own lane,
    // which bends into "Create contacts"' lane at its row. The graph is decorative (words say it).
    const graphs = items.map((li) => li.querySelector('svg[data-slot="graph"]'));
    expect(graphs.map((svg) => svg?.getAttribute('data-lane'))).toEqual(['0', '0', '1', '0']);
    expect(graphs[0]).toHaveAttribute('aria-hidden', 'true');
    expect(graphs[1]).toHaveAttribute('data-state', 'current');
    // Two lanes wide on every row, so labels line up; a bend (path) only where the lanes join.
    expect(graphs.map((svg) => svg?.getAttribute('width'))).toEqual(['28', '28', '28', '28']);
    expect(graphs.map((svg) => svg?.querySelectorAll('path').length)).toEqual([0, 0, 0, 1]);
    expect(items[0]).toHaveAttribute('aria-setsize', '4');
    expect(within(current).getByRole('button', { name: 'Restore After rollback' })).toBeDisabled();
    expect(
      within(items[2] as HTMLElement).getByRole('button', { name: 'Restore Add company' }),
    ).toBeEnabled();
  });

  it('shows restores as events between versions, not their undo points as rows; Undo, then Redo, on the last one', async () => {
    const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 10, minutes)).toISOString();
    const entry = (id: string, overrides: Partial<RestoreEntry>): RestoreEntry => ({
      id,
      kind: 'restore',
      versionId: 'v1',
      currentBeforeId: 'v3',
      currentAfterId: 'v1',
      undoVersionId: `u-${id}`,
      actor: null,
      startedAt: at(10),
      finishedAt: at(11),
      ...overrides,
    });
    const saved = [
      version('v1', { label: 'v1: contacts', createdAt: at(1) }),
      version('v2', { label: 'v2: company', parentId: 'v1', createdAt: at(2) }),
      version('v3', { label: 'v3: tags', parentId: 'v2', createdAt: at(3) }),
    ];
    const backup = version('u-r1', {
      label: 'v3: tags + later changes',
      parentId: 'v3',
      kind: 'pre-restore',
      createdAt: at(10),
    });
    // Restore v1, then undo it: v3 is current again (nothing was written since it), no new row.
    let list = listOf(
      [saved[0] as Version, saved[1] as Version, { ...(saved[2] as Version), current: true }, backup],
      {
        undoVersionId: 'u-r2',
        restores: [
          entry('r2', {
            kind: 'undo',
            versionId: 'u-r1',
            currentBeforeId: 'v1',
            currentAfterId: 'v3',
            startedAt: at(12),
            finishedAt: at(13),
          }),
          entry('r1', {}),
        ],
      },
    );
    const undone: string[] = [];
    const { fetch } = fakeFetch({
      'GET /versions': () => jsonResponse(list),
      'POST /undo': () => {
        undone.push('undo');
        return new Response(null, { status: 503 });
      },
    });
    renderTimeline(fetch);
    const region = await screen.findByRole('region', { name: 'Database versions' });
    let items = await within(region).findAllByRole('listitem');
    expect(items.map((li) => li.querySelector('[data-slot="label"]')?.textContent)).toEqual([
      'v3: tags',
      'v2: company',
      'v1: contacts',
    ]);
    expect(items[0]).toHaveAttribute('aria-current', 'true');
    const events = [...region.querySelectorAll('[data-slot="restore-event"]')];
    // Both sit between v3 and what came after it: newest first, inside v3's row.
    expect(events.map((e) => e.closest('li')?.getAttribute('data-version-id'))).toEqual(['v3', 'v3']);
    expect(events.map((e) => e.textContent?.split(' · ')[0])).toEqual([
      'Undo: back to “v3: tags”',
      'Restored to “v1: contacts”',
    ]);
    expect(events.map((e) => e.getAttribute('data-state'))).toEqual(['done', 'undone']);
    const redo = within(events[0] as HTMLElement).getByRole('button', {
      name: 'Redo: Undo: back to “v3: tags”',
    });
    expect(redo).toHaveTextContent('Redo');
    expect(within(events[1] as HTMLElement).queryByRole('button')).toBeNull();
    await userEvent.click(redo);
    await waitFor(() => expect(undone).toEqual(['undo']));

    // Data written after v3, then an undo: the undo point is current, under v3, with its own name.
    list = listOf([...saved, { ...backup, current: true }], {
      undoVersionId: null,
      restores: [
        entry('r2', {
          kind: 'undo',
          versionId: 'u-r1',
          currentBeforeId: 'v1',
          currentAfterId: 'u-r1',
          undoVersionId: null,
          startedAt: at(12),
          finishedAt: at(13),
        }),
        entry('r1', {}),
      ],
    });
    cleanup();
    renderTimeline(fetch);
    items = await screen.findAllByRole('listitem');
    expect(items.map((li) => li.querySelector('[data-slot="label"]')?.textContent)).toEqual([
      'v3: tags + later changes',
      'v3: tags',
      'v2: company',
      'v1: contacts',
    ]);
    expect(items[0]).toHaveAttribute('aria-current', 'true');
    expect(screen.queryByRole('button', { name: /^(Undo|Redo):/ })).toBeNull();
    // The backups toggle lists every undo point.
    cleanup();
    list = listOf([
      ...saved,
      backup,
      version('u-r9', { kind: 'pre-restore', parentId: 'v1', createdAt: at(20) }),
    ]);
    renderTimeline(fetch, { showBackups: true });
    expect(await screen.findAllByRole('listitem')).toHaveLength(5);
  });

  it('draws the same graph upside down when listing oldest first', async () => {
    const versions = [
      version('v1', { label: 'Create contacts' }),
      version('v2', { label: 'Add company', parentId: 'v1' }),
      version('v3', { label: 'After rollback', parentId: 'v1', current: true }),
    ];
    const { fetch } = fakeFetch({ 'GET /versions': () => jsonResponse(listOf(versions)) });
    renderTimeline(fetch, { order: 'oldest' });
    const items = await screen.findAllByRole('listitem');
    expect(items.map((li) => li.querySelector('[data-slot="label"]')?.textContent)).toEqual([
      'Create contacts',
      'Add company',
      'After rollback',
    ]);
    const graphs = items.map((li) => li.querySelector('svg[data-slot="graph"]'));
    expect(graphs.map((svg) => svg?.getAttribute('data-lane'))).toEqual(['0', '1', '0']);
    // The fork now opens below "Create contacts": its bend is in that row.
    expect(graphs.map((svg) => svg?.querySelectorAll('path').length)).toEqual([1, 0, 0]);
  });

  it('has loading, empty and error states, and retries', async () => {
    let fail = true;
    const { fetch } = fakeFetch({
      'GET /versions': () =>
        fail ? errorResponse(new RewindError('neon_unavailable', 'down')) : jsonResponse(listOf([])),
    });
    renderTimeline(fetch);
    expect(screen.getByText('Loading versions…')).toHaveAttribute('role', 'status');
    const alert = await screen.findByText(/Neon could not be reached/, {}, { timeout: 8_000 });
    expect(alert).toHaveAttribute('role', 'alert');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText(/No versions yet/)).toBeInTheDocument();
    expect(screen.getByRole('region')).toHaveAttribute('data-state', 'empty');
  });

  it('moves between rows with the arrow keys, Home and End', async () => {
    const versions = ['a', 'b', 'c'].map((id) => version(id));
    const { fetch } = fakeFetch({ 'GET /versions': () => jsonResponse(listOf(versions)) });
    renderTimeline(fetch);
    const first = await screen.findByRole('button', { name: 'Restore Version c' });
    first.focus();
    await userEvent.keyboard('{ArrowDown}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Restore Version b' })).toHaveFocus());
    await userEvent.keyboard('{End}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Restore Version a' })).toHaveFocus());
    await userEvent.keyboard('{Home}');
    await waitFor(() => expect(first).toHaveFocus());
  });

  it('renders only a window of 10,000 versions', async () => {
    const versions = Array.from({ length: 10_000 }, (_, i) => version(`v${i}`, { label: `Version ${i}` }));
    const { fetch } = fakeFetch({ 'GET /versions': () => jsonResponse(listOf(versions)) });
    renderTimeline(fetch);
    const items = await screen.findAllByRole('listitem');
    expect(items.length).toBeGreaterThan(5);
    expect(items.length).toBeLessThan(60);
    expect(items[0]).toHaveAttribute('aria-setsize', '10000');
    expect(items[0]).toHaveTextContent('Version 9999');
  });

  it('renames inline (Enter saves, Escape cancels) and deletes through the handler', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /versions': () => jsonResponse(listOf([version('a', { label: 'Old name' })])),
      'PATCH /versions/a': () => jsonResponse({ version: version('a', { label: 'New name' }) }),
      'DELETE /versions/a': () => new Response(null, { status: 204 }),
    });
    renderTimeline(fetch);
    const renameButton = await screen.findByRole('button', { name: 'Rename Old name' });
    // Escape: nothing sent, the label back, focus back on Rename.
    await userEvent.click(renameButton);
    const editor = screen.getByRole('textbox', { name: 'New name: Old name' });
    expect(editor).toHaveFocus();
    expect(editor).toHaveValue('Old name');
    await userEvent.keyboard('Something{Escape}');
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    expect(calls.some((r) => r.method === 'PATCH')).toBe(false);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Rename Old name' })).toHaveFocus());
    // Enter: saved with the trimmed label; arrow keys and Home/End stay the editor's.
    await userEvent.click(screen.getByRole('button', { name: 'Rename Old name' }));
    await userEvent.keyboard('{Control>}a{/Control}  New name  {Home}{End}{Enter}');
    await waitFor(() => expect(calls.some((r) => r.method === 'PATCH')).toBe(true));
    const patch = calls.find((r) => r.method === 'PATCH') as Request;
    expect(await patch.json()).toEqual({ label: 'New name' });
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Delete Old name' }));
    await waitFor(() => expect(calls.some((r) => r.method === 'DELETE')).toBe(true));
  });

  it('shows what a version changed against its parent, collapsed until opened', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /versions': () => jsonResponse(listOf([version('a', { label: 'Add email' })])),
      'GET /versions/a/changes': () =>
        jsonResponse({
          changes: {
            text: '…',
            complete: true,
            tables: [{ ...schemaDiffTable('public.contacts', 'changed'), addedColumns: ['email'] }],
          },
        }),
    });
    renderTimeline(fetch);
    const row = (await screen.findAllByRole('listitem'))[0] as HTMLElement;
    const disclosure = within(row).getByText('What changed');
    expect(calls.some((r) => r.url.endsWith('/changes'))).toBe(false);
    await userEvent.click(disclosure);
    expect(await within(row).findByText('public.contacts changed (+ email)')).toBeInTheDocument();
    expect(calls.filter((r) => r.url.endsWith('/versions/a/changes'))).toHaveLength(1);
  });

  it('hands a rename to onRename instead of the built-in request', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /versions': () => jsonResponse(listOf([version('a', { label: 'Old name' })])),
    });
    const renamed: string[] = [];
    renderTimeline(fetch, { onRename: (v, label) => void renamed.push(`${v.id}:${label}`) });
    await userEvent.click(await screen.findByRole('button', { name: 'Rename Old name' }));
    await userEvent.keyboard('{Control>}a{/Control}Mine{Enter}');
    expect(renamed).toEqual(['a:Mine']);
    expect(calls.some((r) => r.method === 'PATCH')).toBe(false);
  });
});
