// The playground as an app builder: the agent's chat, the app's live preview and the history
// side by side, light and dark (the kit following the page's theme), the "What Neon sees" panel
// folded until asked for. Screens are checked with axe in both themes.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoint, type Playground, startPlayground } from './harness';

let playground: Playground;
beforeAll(async () => {
  playground = await startPlayground();
});
afterAll(() => playground?.close());

const timelineBackground = (page: Page) =>
  page.getByRole('region', { name: 'Database versions' }).evaluate((el) =>
    getComputedStyle(el.closest('[data-rewind]') ?? el)
      .getPropertyValue('--rewind-bg')
      .trim(),
  );

describe('the app-builder layout', () => {
  it('chat, preview and history side by side; prompts in the chat; Neon folded; light and dark', async () => {
    const { page, context } = await playground.newPage();
    const panes = ['Agent', 'Your app', 'History'];
    for (const name of panes) await page.getByRole('region', { name, exact: true }).waitFor();
    // Side by side at a desktop width: three columns, left to right.
    const lefts = await Promise.all(
      panes.map(
        async (name) => (await page.getByRole('region', { name, exact: true }).boundingBox())?.x ?? -1,
      ),
    );
    expect(lefts[0]).toBeLessThan(lefts[1] as number);
    expect(lefts[1]).toBeLessThan(lefts[2] as number);

    // A prompt is a turn of the chat: the user's words, then what the agent saved.
    await page.getByRole('button', { name: 'Run prompt v1: contacts table' }).click();
    const transcript = page.getByRole('list', { name: 'Agent transcript' });
    await transcript.getByText('Saved version “v1: contacts table”').waitFor({ timeout: 30_000 });
    expect(await transcript.locator('[data-slot="user"]').allTextContents()).toEqual([
      'Build a contacts app: a table of people with a name and an email, and a few sample rows.',
    ]);
    await page.getByRole('table', { name: 'Contacts' }).waitFor({ timeout: 10_000 });

    // What Neon sees: folded, and not polled, until opened.
    const branches = page.getByRole('list', { name: 'Branches' });
    expect(await branches.count()).toBe(0);
    await page.getByText('What Neon sees').click();
    await branches.getByText('(live)').waitFor({ timeout: 10_000 });
    await checkpoint(page, '16-builder-light');

    // Dark: the page and the kit together.
    const light = await timelineBackground(page);
    await page.getByRole('button', { name: 'Dark mode' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.getByRole('button', { name: 'Dark mode' }).getAttribute('aria-pressed')).toBe('true');
    const dark = await timelineBackground(page);
    expect(light).toBe('#ffffff');
    expect(dark).toBe('#16171b');
    await checkpoint(page, '17-builder-dark');
    await context.close();
  });
});
