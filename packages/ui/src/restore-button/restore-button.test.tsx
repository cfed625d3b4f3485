import {
  ERROR_CODES,
  encodeRestoreEvent,
  type RestoreEvent,
  RewindError,
  type SchemaDiff,
  schemaDiffTable,
} from '@rewind/protocol';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLayoutEffect } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { RewindProvider } from '../provider';
import { defaultStrings } from '../strings';
import {
  errorResponse,
  fakeFetch,
  jsonResponse,
  listOf,
  noDiff,
  restoreEvents,
  sseResponse,
  version,
} from '../test/fake-api';
import { RestoreButton } from './restore-button';

const diff: SchemaDiff = {
  text: '…',
  tables: [
    { ...schemaDiffTable('public.contacts', 'changed'), removedColumns: ['tags'] },
    schemaDiffTable('public.notes', 'removed'),
  ],
  complete: true,
};

/** Records the progress bar as the first commit left it, before any passive effect ran. */
function FirstPaintProbe({ seen }: { seen: Array<string | null> }) {
  useLayoutEffect(() => {
    const bar = document.querySelector('[role="progressbar"]');
    seen.push(bar ? `${bar.getAttribute('aria-valuenow')} ${bar.parentElement?.textContent}` : null);
  }, [seen]);
  return null;
}

function routes(overrides: Record<string, (request: Request) => Response | Promise<Response>> = {}) {
  return fakeFetch({
    'GET /versions': () =>
      jsonResponse(listOf([version('v1', { label: 'First' }), version('v2', { current: true })])),
    'POST /versions/v1/diff': () => jsonResponse({ diff }),
    'POST /versions/v1/restore': () => sseResponse(restoreEvents('v1'), { token: 'tok-1', delayMs: 5 }),
    ...overrides,
  });
}

function renderButton(
  fetch: typeof globalThis.fetch,
  props: Partial<Parameters<typeof RestoreButton>[0]> = {},
) {
  return render(
    <RewindProvider url="/api/rewind" fetch={fetch}>
      <button type="button">before</button>
      <RestoreButton versionId="v1" label="First" {...props} />
    </RewindProvider>,
  );
}

beforeEach(() => sessionStorage.clear());

describe('<RestoreButton> confirmation', () => {
  it('opens an alertdialog that says what will change, with focus on Cancel', async () => {
    const slowDiff = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return jsonResponse({ diff });
    };
    renderButton(routes({ 'POST /versions/v1/diff': slowDiff }).fetch);
    const trigger = screen.getByRole('button', { name: 'Restore' });
    await userEvent.click(trigger);
    const dialog = screen.getByRole('alertdialog', { name: 'Restore “First”?' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(dialog).toHaveAccessibleDescription(/connection string stays the same/);
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    expect(within(dialog).getByText('Comparing with the live database…')).toBeInTheDocument();
    expect(await within(dialog).findByText('public.contacts changes (− tags)')).toBeInTheDocument();
    expect(within(dialog).getByText('public.notes goes away')).toBeInTheDocument();
  });

  it('keeps focus inside with Tab, closes with Escape and gives focus back', async () => {
    renderButton(routes().fetch);
    const trigger = screen.getByRole('button', { name: 'Restore' });
    await userEvent.click(trigger);
    const dialog = screen.getByRole('alertdialog');
    await userEvent.tab();
    expect(within(dialog).getByRole('button', { name: 'Restore' })).toHaveFocus();
    await userEvent.tab();
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(trigger).toHaveFocus();
  });

  it('shows a schema-identical restore as data-only', async () => {
    renderButton(routes({ 'POST /versions/v1/diff': () => jsonResponse({ diff: noDiff }) }).fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(await screen.findByText('The schema is the same; only data changes.')).toBeInTheDocument();
  });

  it('says when the restore cannot be undone (no room for an undo point), and only then', async () => {
    renderButton(routes({ 'POST /versions/v1/diff': () => jsonResponse({ diff, undoable: false }) }).fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    const dialog = screen.getByRole('alertdialog');
    expect(await within(dialog).findByText(defaultStrings.notUndoable)).toBeInTheDocument();
  });

  it('says nothing of the kind for an undoable restore, or an older server that does not tell', async () => {
    renderButton(routes().fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    const dialog = screen.getByRole('alertdialog');
    await within(dialog).findByText('public.notes goes away');
    expect(within(dialog).queryByText(defaultStrings.notUndoable)).not.toBeInTheDocument();
  });
});

describe('<RestoreButton> progress and outcome', () => {
  it('shows real phases in a progressbar, then a polite success with Undo', async () => {
    let undone = false;
    const { fetch } = routes({
      'POST /undo': () => {
        undone = true;
        return sseResponse(restoreEvents('v-undo', 'tok-2', null));
      },
    });
    const restored: string[] = [];
    renderButton(fetch, { onRestored: ({ versionId }) => restored.push(versionId) });
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    const bar = await screen.findByRole('progressbar', { name: 'Restore progress' });
    expect(bar).toHaveAttribute('aria-valuetext');
    expect(screen.getByRole('button', { name: 'Restore' })).toBeDisabled();
    const status = screen.getByRole('status');
    await waitFor(() => expect(status).toHaveTextContent('Restored “First”.'));
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    await waitFor(() => expect(restored).toEqual(['v1']));
    expect(screen.getByRole('alert')).toBeEmptyDOMElement();
    await userEvent.click(within(status).getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(undone).toBe(true));
  });

  it('says "Restored" at finalized and offers Undo once its undo point exists, while the stream goes on', async () => {
    const encoder = new TextEncoder();
    const [started, operation, progress, finalized, afterFinalized, undoAvailable, ...rest] =
      restoreEvents('v1');
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let undoReleased: (() => void) | undefined;
    const undoHeld = new Promise<void>((resolve) => {
      undoReleased = resolve;
    });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (event: RestoreEvent | undefined) =>
          event && controller.enqueue(encoder.encode(encodeRestoreEvent(event)));
        for (const event of [started, operation, progress, finalized, afterFinalized]) send(event);
        await held;
        send(undoAvailable);
        await undoHeld;
        for (const event of rest) send(event);
        controller.close();
      },
    });
    const { fetch } = routes({
      'POST /versions/v1/restore': () =>
        new Response(stream, {
          headers: { 'content-type': 'text/event-stream', 'rewind-restore-token': 'tok-1' },
        }),
    });
    const restored: string[] = [];
    renderButton(fetch, { onRestored: ({ versionId }) => restored.push(versionId) });
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    const status = screen.getByRole('status');
    await waitFor(() => expect(status).toHaveTextContent('Restored “First”.'));
    expect(status).toHaveAttribute('data-state', 'succeeded');
    expect(within(status).queryByRole('button', { name: 'Undo' })).not.toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    release?.();
    await waitFor(() => expect(within(status).getByRole('button', { name: 'Undo' })).toBeInTheDocument());
    // Still on the stream (cleanup): the terminal callback has not run yet.
    expect(restored).toEqual([]);
    // The user opens the next restore's confirmation now: the tail of the stream (its terminal
    // event) must not close it.
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(screen.getByRole('alertdialog')).toBeInTheDocument();
    undoReleased?.();
    await waitFor(() => expect(restored).toEqual(['v1']));
    expect(screen.getByRole('alertdialog')).toBeInTheDocument();
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
  });

  it.each(ERROR_CODES.filter((code) => code !== 'restore_in_progress'))(
    'shows the human string for a %s failure in an alert',
    async (code) => {
      const failed: RestoreEvent = {
        event: 'restore.failed',
        id: 2,
        data: new RewindError(code, 'raw message').toJSON(),
      };
      const [started] = restoreEvents('v1');
      const { fetch } = routes({
        'POST /versions/v1/restore': () => sseResponse([started as RestoreEvent, failed]),
      });
      const errors: string[] = [];
      renderButton(fetch, { onError: (error) => errors.push(error.code) });
      await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
      await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
      await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(defaultStrings.errors[code]));
      expect(errors).toEqual([code]);
      expect(screen.getByRole('button', { name: 'Restore' })).toBeEnabled();
    },
  );

  it('a refused request (before the stream) is an alert too', async () => {
    const { fetch } = routes({
      'POST /versions/v1/restore': () => errorResponse(new RewindError('quota_exceeded', 'q')),
    });
    renderButton(fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(/plan limit/));
  });
});

describe('<RestoreButton> with other restores and dropped streams', () => {
  it('follows the running restore when the server says restore_in_progress', async () => {
    const { fetch, calls } = routes({
      'POST /versions/v1/restore': () =>
        errorResponse(
          new RewindError('restore_in_progress', 'busy', {
            details: { restore: { token: 'other', versionId: 'v1', startedAt: new Date().toISOString() } },
          }),
        ),
      'GET /restores/other/events': () => sseResponse(restoreEvents('v1', 'other'), { delayMs: 5 }),
    });
    renderButton(fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'));
    expect(calls.some((r) => r.url.endsWith('/restores/other/events'))).toBe(true);
  });

  it('is disabled and attached while another tab restores the project', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { fetch } = routes({
      'GET /versions': () =>
        jsonResponse(
          listOf([version('v1')], {
            activeRestore: { token: 'tab2', versionId: 'v1', startedAt: new Date().toISOString() },
          }),
        ),
      'GET /restores/tab2/events': async () => {
        await held;
        return sseResponse(restoreEvents('v1', 'tab2'));
      },
    });
    renderButton(fetch);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Restore' })).toBeDisabled());
    await act(async () => release());
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'));
  });

  it('reconnects with Last-Event-ID after a dropped stream', async () => {
    const events = restoreEvents('v1', 'tok-r');
    const seenLastIds: Array<string | null> = [];
    const { fetch } = routes({
      // The first stream drops after three events; the restore goes on server-side.
      'POST /versions/v1/restore': () => sseResponse(events.slice(0, 3), { token: 'tok-r' }),
      'GET /restores/tok-r/events': (request) => {
        const last = request.headers.get('last-event-id');
        seenLastIds.push(last);
        return sseResponse(events.filter((e) => e.id > Number(last ?? 0)));
      },
    });
    renderButton(fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'), { timeout: 5_000 });
    expect(seenLastIds).toEqual(['3']);
    expect(sessionStorage.length).toBe(0);
  });

  it("keeps reconnecting through a proxy's 5xx pages and a 401 (asking for fresh headers) until the end", async () => {
    const events = restoreEvents('v1', 'tok-p');
    let token = 'old';
    let follows = 0;
    const { fetch } = routes({
      'POST /versions/v1/restore': () => sseResponse(events.slice(0, 3), { token: 'tok-p' }),
      'GET /restores/tok-p/events': (request) => {
        follows++;
        // A deploy: the load balancer answers with its own HTML error pages, then the token
        // the page holds has expired and is refreshed by the platform.
        if (follows <= 2) return new Response('<html>502 Bad Gateway</html>', { status: 502 + follows - 1 });
        if (request.headers.get('authorization') !== 'Bearer new') {
          token = 'new';
          return errorResponse(new RewindError('unauthorized', 'token expired'));
        }
        const last = Number(request.headers.get('last-event-id') ?? 0);
        return sseResponse(events.filter((e) => e.id > last));
      },
    });
    const errors: RewindError[] = [];
    render(
      <RewindProvider url="/api/rewind" fetch={fetch} headers={() => ({ authorization: `Bearer ${token}` })}>
        <RestoreButton versionId="v1" label="First" onError={(error) => errors.push(error)} />
      </RewindProvider>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'), {
      timeout: 10_000,
    });
    expect(follows).toBe(4);
    expect(errors).toEqual([]);
    expect(sessionStorage.length).toBe(0);
  });

  it('stops when the server refuses the token for good', async () => {
    const { fetch } = routes({
      'POST /versions/v1/restore': () =>
        sseResponse(restoreEvents('v1', 'tok-x').slice(0, 3), { token: 'tok-x' }),
      'GET /restores/tok-x/events': () => errorResponse(new RewindError('invalid_token', 'expired')),
    });
    renderButton(fetch);
    await userEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await waitFor(
      () => expect(screen.getByRole('alert')).toHaveTextContent(defaultStrings.errors.invalid_token),
      {
        timeout: 5_000,
      },
    );
  });

  it('shows the resumed restore from the first render, before any event arrives', async () => {
    sessionStorage.setItem(
      'rewind:restore:/api/rewind',
      JSON.stringify({ token: 'tok-h', lastEventId: 3, versionId: 'v1', phase: 'restoring', progress: 0.4 }),
    );
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { fetch } = routes({
      'GET /restores/tok-h/events': async () => {
        await held; // the stream is held back: no event has arrived when we look
        return sseResponse(restoreEvents('v1', 'tok-h').filter((e) => e.id > 3));
      },
    });
    // What the first commit put on the page, before any effect ran (the resume effect is one):
    // a layout effect of a sibling sees the DOM before the browser paints it.
    const firstPaint: Array<string | null> = [];
    render(
      <RewindProvider url="/api/rewind" fetch={fetch}>
        <RestoreButton versionId="v1" label="First" />
        <FirstPaintProbe seen={firstPaint} />
      </RewindProvider>,
    );
    expect(firstPaint).toEqual([`40 ${defaultStrings.reconnecting}`]);
    release();
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'));
  });

  it('picks a restore back up after a reload from sessionStorage', async () => {
    sessionStorage.setItem(
      'rewind:restore:/api/rewind',
      JSON.stringify({ token: 'tok-s', lastEventId: 4, versionId: 'v1' }),
    );
    const seen: Array<string | null> = [];
    const { fetch } = routes({
      'GET /restores/tok-s/events': (request) => {
        seen.push(request.headers.get('last-event-id'));
        return sseResponse(restoreEvents('v1', 'tok-s').filter((e) => e.id > 4));
      },
    });
    renderButton(fetch);
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Restored'));
    expect(seen).toEqual(['4']);
  });
});
