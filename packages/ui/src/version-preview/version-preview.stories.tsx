import { schemaDiffTable } from '@rewind/protocol';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, within } from 'storybook/test';
import { RewindProvider } from '../provider';
import { fakeFetch, jsonResponse, restoreEvents, sseResponse } from '../test/fake-api';
import { VersionPreview } from './version-preview';

const api = fakeFetch({
  'POST /versions/v1/preview': () =>
    jsonResponse(
      {
        preview: {
          id: 'pv1',
          versionId: 'v1',
          createdAt: new Date().toISOString(),
          expiresAt: new Date().toISOString(),
          state: 'ready',
        },
        diff: {
          text: '',
          tables: [
            { ...schemaDiffTable('public.contacts', 'changed'), removedColumns: ['tags'] },
            schemaDiffTable('public.notes', 'removed'),
          ],
          complete: true,
        },
      },
      201,
    ),
  'DELETE /previews/pv1': () => new Response(null, { status: 204 }),
  'POST /previews/pv1/promote': () => sseResponse(restoreEvents('v1', 'tp'), { token: 'tp', delayMs: 200 }),
});

const meta = {
  title: 'VersionPreview',
  component: VersionPreview,
  args: { versionId: 'v1', label: 'Add contacts' },
  decorators: [
    (Story) => (
      <RewindProvider url="/api/rewind" fetch={api.fetch}>
        <Story />
      </RewindProvider>
    ),
  ],
} satisfies Meta<typeof VersionPreview>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Closed: Story = {};

/** Open: the diff against live, with Make live and Discard. */
export const OpenWithDiff: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Preview Add contacts' }));
    const region = await canvas.findByRole('region', { name: 'Preview of “Add contacts”' });
    await expect(within(region).getByText('public.contacts changes (− tags)')).toBeVisible();
    await expect(within(region).getByRole('button', { name: 'Make live' })).toBeEnabled();
  },
};
