import { ERROR_CODES, RewindError, type SchemaDiff, schemaDiffTable } from '@rewind/protocol';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, within } from 'storybook/test';
import { RewindProvider } from '../provider';
import { fakeFetch, jsonResponse, listOf, restoreEvents, sseResponse, version } from '../test/fake-api';
import { fixtureRestore } from '../test/fixture-restore';
import { RestoreButton } from './restore-button';
import { RestoreFlow } from './restore-flow';

const diff: SchemaDiff = {
  text: '',
  tables: [
    { ...schemaDiffTable('public.contacts', 'changed'), removedColumns: ['tags', 'company'] },
    schemaDiffTable('public.notes', 'removed'),
  ],
  complete: true,
};

const api = fakeFetch({
  'GET /versions': () => jsonResponse(listOf([version('v1', { label: 'Add contacts' })])),
  'POST /versions/v1/diff': () => jsonResponse({ diff }),
  // A version on a full snapshot quota: the dialog says the restore cannot be undone.
  'POST /versions/v9/diff': () => jsonResponse({ diff, undoable: false }),
  'POST /versions/v1/restore': () => sseResponse(restoreEvents('v1'), { token: 't', delayMs: 300 }),
  'POST /undo': () => sseResponse(restoreEvents('v-undo', 't2', null), { delayMs: 200 }),
});

const meta = {
  title: 'RestoreButton',
  component: RestoreButton,
  args: { versionId: 'v1', label: 'Add contacts' },
  decorators: [
    (Story) => (
      <RewindProvider url="/api/rewind" fetch={api.fetch}>
        <Story />
      </RewindProvider>
    ),
  ],
} satisfies Meta<typeof RestoreButton>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Idle: one button. */
export const Idle: Story = {};

/** Confirming: the alertdialog says what changes; focus starts on Cancel; Escape closes. */
export const ConfirmingWithDiff: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Restore' }));
    const dialog = await canvas.findByRole('alertdialog', { name: 'Restore “Add contacts”?' });
    await expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await expect(await within(dialog).findByText('public.notes goes away')).toBeVisible();
    // A native modal dialog: in the top layer, the page behind it inert.
    await expect(dialog.matches('dialog:modal')).toBe(true);
    const trigger = canvasElement.querySelector<HTMLButtonElement>(
      '[data-slot="trigger"]',
    ) as HTMLButtonElement;
    trigger.focus();
    await expect(trigger).not.toHaveFocus();
    // Escape is the dialog's own cancel, and focus goes back to the trigger.
    await userEvent.keyboard('{Escape}');
    await expect(canvas.queryByRole('alertdialog')).toBeNull();
    await expect(trigger).toHaveFocus();
  },
};

/** Confirming a restore that cannot be undone (the plan's snapshot quota is full). */
export const ConfirmingNotUndoable: Story = {
  args: { versionId: 'v9', label: 'Only version' },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Restore' }));
    const dialog = await canvas.findByRole('alertdialog', { name: 'Restore “Only version”?' });
    await expect(await within(dialog).findByText(/This restore cannot be undone/)).toBeVisible();
  },
};

/** The whole flow against a fake server: confirm, live progress, success, Undo. */
export const FullRestore: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Restore' }));
    const dialog = await canvas.findByRole('alertdialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore' }));
    await expect(await canvas.findByRole('progressbar')).toBeVisible();
    await expect(await canvas.findByText('Restored “Add contacts”.', {}, { timeout: 5_000 })).toBeVisible();
    // Undo follows once the server says its undo point exists (after "Restored").
    await expect(await canvas.findByRole('button', { name: 'Undo' }, { timeout: 5_000 })).toBeEnabled();
  },
};

const flow = (state: Parameters<typeof fixtureRestore>[0]) => () => (
  <div data-rewind="">
    <RestoreFlow restore={fixtureRestore(state)} label="Add contacts" />
  </div>
);

/** Running at 40 %, in the restoring phase. */
export const RunningAt40Percent: Story = {
  render: flow({ status: 'running', connection: 'open', phase: 'restoring', progress: 0.4 }),
  play: async ({ canvasElement }) => {
    const bar = within(canvasElement).getByRole('progressbar');
    await expect(bar).toHaveAttribute('aria-valuenow', '40');
    await expect(bar).toHaveAttribute('aria-valuetext', 'Restoring the data… 40%');
  },
};

/** The stream dropped; the restore goes on and the hook reconnects. */
export const Reconnecting: Story = {
  render: flow({ status: 'running', connection: 'reconnecting', phase: 'finalizing', progress: 0.8 }),
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText('Connection lost, reconnecting…')).toBeVisible();
  },
};

/** Following a restore another tab started. */
export const AttachedToAnotherTab: Story = {
  render: flow({
    status: 'running',
    connection: 'open',
    phase: 'undo-snapshot',
    progress: 0.1,
    attached: true,
  }),
};

/** Restored (the data is back), the undo point still being taken: no Undo yet. */
export const RestoredUndoPending: Story = {
  render: flow({ status: 'succeeded', connection: 'open', progress: 1, undoVersionId: null }),
  play: async ({ canvasElement }) => {
    const status = within(canvasElement).getByRole('status');
    await expect(status).toHaveTextContent('Restored “Add contacts”.');
    await expect(within(status).queryByRole('button', { name: 'Undo' })).toBeNull();
  },
};

/** Succeeded, with Undo. */
export const SucceededWithUndo: Story = {
  render: flow({ status: 'succeeded', progress: 1, undoVersionId: 'v-undo' }),
  play: async ({ canvasElement }) => {
    const status = within(canvasElement).getByRole('status');
    await expect(status).toHaveTextContent('Restored “Add contacts”.');
    await expect(within(status).getByRole('button', { name: 'Undo' })).toBeVisible();
  },
};

/** Failed, once for every error code, each with its human string. */
export const FailedForEachErrorCode: Story = {
  render: () => (
    <div data-rewind="">
      {ERROR_CODES.map((code) => (
        <section key={code} aria-label={code} data-code={code}>
          <RestoreFlow
            restore={fixtureRestore({ status: 'failed', error: new RewindError(code, `raw ${code}`) })}
            label="Add contacts"
          />
        </section>
      ))}
    </div>
  ),
  play: async ({ canvasElement }) => {
    const alerts = within(canvasElement).getAllByRole('alert');
    await expect(alerts).toHaveLength(ERROR_CODES.length);
    for (const alert of alerts) await expect(alert.textContent?.length).toBeGreaterThan(10);
  },
};

/** Dark theme through the variables. */
export const Dark: Story = {
  render: () => (
    <div data-rewind="" data-theme="dark" style={{ background: '#16171b', padding: 16 }}>
      <RestoreFlow
        restore={fixtureRestore({ status: 'running', phase: 'cleanup', progress: 0.95 })}
        label="Add contacts"
      />
      <RestoreFlow
        restore={fixtureRestore({ status: 'succeeded', undoVersionId: 'u' })}
        label="Add contacts"
      />
    </div>
  ),
};
