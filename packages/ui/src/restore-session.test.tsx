// One restore stream per project per page: the provider owns the restore, and every component
// attached to the project (a timeline, any number of buttons) shows the same one.

import type { Version } from '@rewind/protocol';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { RewindProvider } from './provider';
import { RestoreButton } from './restore-button/restore-button';
import { INITIAL, reduceRestore } from './restore-session';
import {
  fakeFetch,
  jsonResponse,
  listOf,
  noDiff,
  restoreEvents,
  sseResponse,
  version,
} from './test/fake-api';
import { VersionTimeline } from './version-timeline/version-timeline';

beforeEach(() => sessionStorage.clear());

const versions = [version('v1', { label: 'First' }), version('v2', { label: 'Second', current: true })];

function page(fetch: typeof globalThis.fetch) {
  return render(
    <RewindProvider url="/api/rewind" fetch={fetch}>
      <VersionTimeline />
      <RestoreButton versionId="v1" label="First" />
      <RestoreButton versionId="v1" label="First again" />
      <RestoreButton versionId="v2" label="Second" />
    </RewindProvider>,
  );
}

describe('one restore per project per page', () => {
  it('a restore running elsewhere is followed over one stream by every component', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { fetch, calls } = fakeFetch({
      'GET /versions': () =>
        jsonResponse(
          listOf(versions, {
            activeRestore: { token: 'other', versionId: 'v1', startedAt: new Date().toISOString() },
          }),
        ),
      'GET /restores/other/events': async () => {
        await held;
        return sseResponse(restoreEvents('v1', 'other'), { delayMs: 2 });
      },
    });
    page(fetch);
    // Four components, one of them the timeline, over one request: the first to pick the restore
    // up shows its progress (one place on the page), the others know a restore runs.
    await waitFor(() => expect(screen.getAllByRole('progressbar')).toHaveLength(1));
    for (const trigger of document.querySelectorAll('[data-slot="trigger"]')) expect(trigger).toBeDisabled();
    release();
    await waitFor(() => expect(screen.getAllByText('Restored “First”.')).toHaveLength(1));
    const streams = calls.filter((r) => new URL(r.url).pathname.endsWith('/restores/other/events'));
    expect(streams).toHaveLength(1);
  });

  it("one component's restore is shown once, by it; each keeps its own confirmation", async () => {
    const { fetch, calls } = fakeFetch({
      'GET /versions': () => jsonResponse(listOf(versions)),
      'POST /versions/v1/diff': () => jsonResponse({ diff: noDiff }),
      'POST /versions/v1/restore': () => sseResponse(restoreEvents('v1'), { token: 'tok-1', delayMs: 5 }),
    });
    page(fetch);
    const buttons = await screen.findAllByRole('button', { name: /^Restore$/ });
    await userEvent.click(buttons[0] as HTMLElement);
    // Only the clicked component asks for confirmation.
    expect(screen.getAllByRole('alertdialog')).toHaveLength(1);
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    // The component that started it shows it; the timeline and the other buttons do not repeat it.
    const statuses = () => screen.getAllByRole('status').filter((s) => s.textContent?.includes('Restored'));
    await waitFor(() => expect(statuses()).toHaveLength(1));
    expect(statuses()[0]?.closest('[data-slot="restore-button"]')).not.toBeNull();
    expect(calls.filter((r) => r.method === 'POST' && r.url.endsWith('/restore'))).toHaveLength(1);
  });

  it('"Restored" and the timeline\'s current version change together, never "Restored" beside the old one', async () => {
    let restored = false;
    const { fetch } = fakeFetch({
      'GET /versions': async () => {
        if (!restored) return jsonResponse(listOf(versions));
        // The refetch after the outcome is slow: the old list stays on screen meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 150));
        return jsonResponse(
          listOf([
            { ...(versions[0] as Version), current: true },
            { ...(versions[1] as Version), current: false },
          ]),
        );
      },
      'POST /versions/v1/diff': () => jsonResponse({ diff: noDiff }),
      'POST /versions/v1/restore': () => {
        restored = true;
        return sseResponse(restoreEvents('v1'), { token: 'tok-1', delayMs: 2 });
      },
    });
    render(
      <RewindProvider url="/api/rewind" fetch={fetch}>
        <VersionTimeline />
      </RewindProvider>,
    );
    // Every state the page goes through: what is marked current whenever "Restored" is shown.
    const seen: (string | null)[] = [];
    const observer = new MutationObserver(() => {
      if (!document.body.textContent?.includes('Restored “First”.')) return;
      seen.push(document.querySelector('[aria-current="true"] [data-slot="label"]')?.textContent ?? null);
    });
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Restore First' }));
    await userEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Restore' }));
    await screen.findByText('Restored “First”.');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Undo' })).toBeEnabled());
    observer.disconnect();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['First']));
  });

  it('a resume marker nobody picks up does not block a component that does not resume', async () => {
    sessionStorage.setItem(
      'rewind:restore:/api/rewind',
      JSON.stringify({ token: null, lastEventId: 0, versionId: 'v1' }),
    );
    const { fetch } = fakeFetch({ 'GET /versions': () => jsonResponse(listOf(versions)) });
    render(
      <RewindProvider url="/api/rewind" fetch={fetch}>
        <RestoreButton versionId="v1" label="First" resume={false} />
      </RewindProvider>,
    );
    expect(screen.getByRole('button', { name: 'Restore' })).toBeEnabled();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('the reducer is pure: the same events give the same state, and late progress keeps "Restored"', () => {
    const events = restoreEvents('v1');
    const once = events.reduce(reduceRestore, INITIAL);
    const twice = events.reduce(reduceRestore, INITIAL);
    expect(once).toEqual(twice);
    expect(once).toMatchObject({
      status: 'succeeded',
      versionId: 'v1',
      undoVersionId: 'v-undo',
      progress: 1,
    });
    const finalized = events.findIndex((e) => e.event === 'restore.finalized');
    const afterFinalized = events.slice(0, finalized + 1).reduce(reduceRestore, INITIAL);
    expect(
      reduceRestore(afterFinalized, {
        event: 'restore.progress',
        id: 99,
        data: { phase: 'cleanup', progress: 1, settled: 0, total: 1 },
      }).status,
    ).toBe('succeeded');
  });
});
