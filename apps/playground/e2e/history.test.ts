// The history a new user meets after a few restores, at the emulator's realistic operation
// speed (0.4-1.5 s per Neon operation), in Chromium: restores are events between the agent's
// versions, an undo of an untouched restore makes v3 current again with no new row, more
// restores leave the first screen showing the agent's versions, and a reload in the middle of
// a restore shows its progress before the stream has said anything.
import type { ListVersionsResponse } from '@rewind/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoint, type Playground, startPlayground } from './harness';

let playground: Playground;
beforeAll(async () => {
  playground = await startPlayground(null);
});
afterAll(() => playground?.close());

const timeline = (page: Page) => page.getByRole('region', { name: 'Database versions' });
const rows = (page: Page) => timeline(page).getByRole('listitem');
const labels = async (page: Page) => rows(page).locator('[data-slot="label"]').allTextContents();
const currentLabel = async (page: Page) =>
  timeline(page).locator('[aria-current="true"] [data-slot="label"]').textContent();
const events = async (page: Page) =>
  (await timeline(page).locator('[data-slot="restore-event"]').allTextContents()).map(
    (text) => text.split(' · ')[0],
  );

async function restore(page: Page, label: string) {
  await timeline(page)
    .getByRole('button', { name: `Restore ${label}`, exact: true })
    .click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Restore', exact: true }).click();
  await page.getByRole('status').getByText(`Restored “${label}”.`).waitFor({ timeout: 60_000 });
}

describe('the history after a few restores, at realistic Neon speed', () => {
  it('restore v1, undo (v3 current, no new row), three more restores, a reload mid-restore', async () => {
    const { page, context } = await playground.newPage();
    for (const [i, label] of ['v1: contacts table', 'v2: role and company', 'v3: tags'].entries()) {
      await page.getByRole('button', { name: `Run prompt ${label}` }).click();
      await expect.poll(() => rows(page).count(), { timeout: 60_000 }).toBe(i + 1);
    }
    const agentVersions = ['v3: tags', 'v2: role and company', 'v1: contacts table'];
    expect(await labels(page)).toEqual(agentVersions);

    await restore(page, 'v1: contacts table');
    await expect.poll(() => currentLabel(page), { timeout: 10_000 }).toBe('v1: contacts table');
    await expect.poll(() => events(page), { timeout: 10_000 }).toEqual(['Restored to “v1: contacts table”']);

    // Undo: nothing was written since v3, so v3 is current again, and no row was added.
    await page.getByRole('status').getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(() => currentLabel(page), { timeout: 60_000 }).toBe('v3: tags');
    expect(await labels(page)).toEqual(agentVersions);
    await expect
      .poll(() => events(page), { timeout: 10_000 })
      .toEqual(['Undo: back to “v3: tags”', 'Restored to “v1: contacts table”']);
    const undone = timeline(page).locator('[data-slot="restore-event"][data-state="undone"]');
    expect(await undone.count()).toBe(1);
    await checkpoint(page, 'history-01-undone');

    // Three more restores: each is an event; the agent's versions are still the whole list.
    for (const label of ['v2: role and company', 'v1: contacts table', 'v2: role and company']) {
      await restore(page, label);
      await expect.poll(() => currentLabel(page), { timeout: 10_000 }).toBe(label);
    }
    expect(await labels(page)).toEqual(agentVersions);
    await expect.poll(async () => (await events(page)).length, { timeout: 10_000 }).toBe(5);
    const listed = (await (
      await fetch(`${playground.url}api/rewind/versions`)
    ).json()) as ListVersionsResponse;
    expect(listed.restores).toHaveLength(5);
    // The undo points exist (Undo works), but belong to their restores, not to the list.
    expect(listed.versions.filter((v) => v.kind === 'pre-restore').length).toBeGreaterThan(0);
    for (const version of listed.versions)
      expect(version.label).not.toMatch(/“|later changes.*later changes/);
    await checkpoint(page, 'history-02-after-more-restores');

    // A reload in the middle of a restore, with the restore's stream held back: the progress is
    // on screen before any event has arrived.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let streamsAsked = 0;
    await timeline(page).getByRole('button', { name: 'Restore v3: tags', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('progressbar').waitFor({ timeout: 10_000 });
    await page.route('**/api/rewind/restores/**', async (route) => {
      streamsAsked++;
      await held;
      await route.continue();
    });
    await page.reload();
    // The page asked for the stream and got nothing yet: what shows is the saved restore.
    await expect.poll(() => streamsAsked, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByRole('progressbar').first().isVisible()).toBe(true);
    expect(await timeline(page).locator('[data-slot="progress"]').getAttribute('data-state')).toMatch(
      /connecting/,
    );
    await checkpoint(page, 'history-03-reloaded-mid-restore');
    release();
    await page.getByRole('status').getByText('Restored “v3: tags”.').waitFor({ timeout: 60_000 });
    await expect.poll(() => currentLabel(page), { timeout: 10_000 }).toBe('v3: tags');
    expect(await labels(page)).toEqual(agentVersions);
    await context.close();
    // Three prompts, five restores and an undo at realistic Neon speed: about 60 s alone, and
    // CI runs it beside two other suites on two cores.
  }, 240_000);
});
