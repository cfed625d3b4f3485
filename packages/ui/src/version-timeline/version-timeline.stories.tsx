import { RewindError, schemaDiffTable } from '@rewind/protocol';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, within } from 'storybook/test';
import { RewindProvider } from '../provider';
import { errorResponse, fakeFetch, jsonResponse, listOf, version } from '../test/fake-api';
import { VersionTimeline } from './version-timeline';

const history = [
  version('v1', { label: 'Create contacts', prompt: 'Make a contacts app with a table of people' }),
  version('v2', { label: 'Add role and company', parentId: 'v1', prompt: 'Add role and company columns' }),
  version('v3', {
    label: 'Add tags',
    parentId: 'v2',
    expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  }),
  // The undo point of the restore to v1 that v5 was made after: hidden unless backups are shown.
  version('v4', { label: 'Add tags + later changes', parentId: 'v3', kind: 'pre-restore' }),
  version('v5', { label: 'Notes table', parentId: 'v1', current: true, prompt: 'Add a notes table' }),
];

function withApi(routes: Parameters<typeof fakeFetch>[0]) {
  const { fetch } = fakeFetch(routes);
  return (Story: () => React.JSX.Element) => (
    <RewindProvider url="/api/rewind" fetch={fetch}>
      <Story />
    </RewindProvider>
  );
}

const meta = { title: 'VersionTimeline', component: VersionTimeline } satisfies Meta<typeof VersionTimeline>;
export default meta;
type Story = StoryObj<typeof meta>;

/** A forked history: v5 was made after rolling back to v1. */
export const Default: Story = {
  decorators: [withApi({ 'GET /versions': () => jsonResponse(listOf(history)) })],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const items = await canvas.findAllByRole('listitem');
    await expect(items).toHaveLength(4);
    await expect(items[0]).toHaveAttribute('aria-current', 'true');
    await expect(canvas.getByText('Branched from “Create contacts”')).toBeVisible();
  },
};

/** The backups toggle: every automatic undo point listed too, marked as one. */
export const WithBackups: Story = {
  args: { showBackups: true },
  decorators: [withApi({ 'GET /versions': () => jsonResponse(listOf(history)) })],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findAllByRole('listitem')).toHaveLength(5);
    await expect(canvas.getByText('Automatic backup')).toBeVisible();
    await expect(canvas.getByText('Add tags + later changes')).toBeVisible();
  },
};

const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
const saved = [
  version('a1', { label: 'v1: contacts', createdAt: at(1), prompt: 'Make a contacts table' }),
  version('a2', { label: 'v2: company', parentId: 'a1', createdAt: at(2) }),
  version('a3', { label: 'v3: tags', parentId: 'a2', createdAt: at(3), current: true }),
  version('u1', {
    label: 'v3: tags + later changes',
    parentId: 'a3',
    kind: 'pre-restore',
    createdAt: at(10),
  }),
];
const restored = {
  id: 'r1',
  kind: 'restore' as const,
  versionId: 'a1',
  currentBeforeId: 'a3',
  currentAfterId: 'a1',
  undoVersionId: 'u1',
  actor: 'ada@example.com',
  startedAt: at(10),
  finishedAt: at(11),
};

/** The undo of `restored` (back from v1): where it took the database, and its own undo point. */
const undoOfRestored = (after: { currentAfterId: string; undoVersionId: string | null }) => ({
  ...restored,
  id: 'r2',
  kind: 'undo' as const,
  versionId: 'u1',
  currentBeforeId: 'a1',
  startedAt: at(12),
  finishedAt: at(13),
  ...after,
});

/**
 * Restores as events between versions: v1 was restored, then the restore undone. Nothing was
 * written since v3, so v3 is current again and the undo point is no row; Redo on the last event.
 */
export const RestoreEvents: Story = {
  decorators: [
    withApi({
      'GET /versions': () =>
        jsonResponse(
          listOf(saved, {
            undoVersionId: 'u2',
            restores: [undoOfRestored({ currentAfterId: 'a3', undoVersionId: 'u2' }), restored],
          }),
        ),
    }),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findAllByRole('listitem')).toHaveLength(3);
    const events = canvasElement.querySelectorAll('[data-slot="restore-event"]');
    await expect(events).toHaveLength(2);
    await expect(events[0]).toHaveTextContent('Undo: back to “v3: tags”');
    await expect(events[1]).toHaveAttribute('data-state', 'undone');
    await expect(canvas.getByRole('button', { name: 'Redo: Undo: back to “v3: tags”' })).toBeEnabled();
  },
};

/** Data written after v3, then an undo: the undo point is current, as "v3 + later changes" under v3. */
export const UndoWithLaterChanges: Story = {
  decorators: [
    withApi({
      'GET /versions': () =>
        jsonResponse(
          listOf(
            saved.map((v) => ({ ...v, current: v.id === 'u1' })),
            {
              restores: [undoOfRestored({ currentAfterId: 'u1', undoVersionId: null }), restored],
            },
          ),
        ),
    }),
  ],
  play: async ({ canvasElement }) => {
    const items = await within(canvasElement).findAllByRole('listitem');
    await expect(items).toHaveLength(4);
    await expect(items[0]).toHaveAttribute('aria-current', 'true');
    await expect(items[0]).toHaveTextContent('v3: tags + later changes');
  },
};

/** The same history oldest first: the graph is drawn the other way up, forking below its root. */
export const OldestFirst: Story = {
  args: { order: 'oldest' },
  decorators: [withApi({ 'GET /versions': () => jsonResponse(listOf(history)) })],
  play: async ({ canvasElement }) => {
    const items = await within(canvasElement).findAllByRole('listitem');
    const lanes = items.map((li) => li.querySelector('[data-slot="graph"]')?.getAttribute('data-lane'));
    // v1 and the live v5 share the main lane; v2 and v3, left behind by the rollback, run beside it.
    await expect(lanes).toEqual(['0', '1', '1', '0']);
  },
};

/** Renaming inline: the label becomes an editor in its row; Enter saves, Escape cancels. */
export const RenamingInline: Story = {
  decorators: [
    withApi({
      'GET /versions': () => jsonResponse(listOf(history)),
      'PATCH /versions/v5': () => jsonResponse({ version: version('v5', { label: 'Notes (final)' }) }),
    }),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(await canvas.findByRole('button', { name: 'Rename Notes table' }));
    const editor = canvas.getByRole('textbox', { name: 'New name: Notes table' });
    await expect(editor).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    await expect(canvas.queryByRole('textbox')).toBeNull();
    await userEvent.click(canvas.getByRole('button', { name: 'Rename Notes table' }));
    await userEvent.keyboard('{Control>}a{/Control}Notes (final)');
    await expect(canvas.getByRole('textbox')).toHaveValue('Notes (final)');
  },
};

/** Each row's "What changed" (against its parent, from stored schemas), collapsed by default. */
export const WhatChanged: Story = {
  decorators: [
    withApi({
      'GET /versions': () => jsonResponse(listOf(history)),
      'GET /versions/v5/changes': () =>
        jsonResponse({
          changes: { text: '…', complete: true, tables: [schemaDiffTable('public.notes', 'added')] },
        }),
    }),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const row = (await canvas.findAllByRole('listitem'))[0] as HTMLElement;
    await userEvent.click(within(row).getByText('What changed'));
    await expect(await within(row).findByText('public.notes added')).toBeVisible();
  },
};

export const Empty: Story = {
  decorators: [withApi({ 'GET /versions': () => jsonResponse(listOf([])) })],
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByText(/No versions yet/)).toBeVisible();
  },
};

export const Loading: Story = {
  decorators: [withApi({ 'GET /versions': () => new Promise<Response>(() => undefined) })],
};

export const LoadError: Story = {
  decorators: [withApi({ 'GET /versions': () => errorResponse(new RewindError('unauthorized', 'no')) })],
  play: async ({ canvasElement }) => {
    await expect(await within(canvasElement).findByText(/not signed in/)).toBeVisible();
  },
};

/**
 * 10,000 versions: only a window of rows is in the DOM. Every 25th version was made after
 * rolling back 4 versions, so the graph forks all the way down.
 */
export const TenThousandVersions: Story = {
  decorators: [
    withApi({
      'GET /versions': () =>
        jsonResponse(
          listOf(
            Array.from({ length: 10_000 }, (_, i) =>
              version(`v${i}`, {
                label: `Version ${i + 1}`,
                parentId: i === 0 ? null : `v${i % 25 === 24 ? i - 5 : i - 1}`,
                current: i === 9_999,
              }),
            ),
          ),
        ),
    }),
  ],
  play: async ({ canvasElement }) => {
    const items = await within(canvasElement).findAllByRole('listitem', {}, { timeout: 5_000 });
    await expect(items.length).toBeLessThan(80);
    await expect(items[0]).toHaveAttribute('aria-setsize', '10000');
    // The live version was made after rolling back to Version 9995: the four after it are a fork.
    const lanes = items.map((li) => li.querySelector('[data-slot="graph"]')?.getAttribute('data-lane'));
    await expect(lanes).toContain('1');
  },
};

export const Dark: Story = {
  decorators: [
    (Story) => (
      <div data-rewind="" data-theme="dark" style={{ background: '#16171b', padding: 16 }}>
        <Story />
      </div>
    ),
    withApi({ 'GET /versions': () => jsonResponse(listOf(history)) }),
  ],
};

/** No kit styles at all: the markup and data attributes only. */
export const Unstyled: Story = {
  args: { unstyled: true },
  decorators: [withApi({ 'GET /versions': () => jsonResponse(listOf(history)) })],
};
