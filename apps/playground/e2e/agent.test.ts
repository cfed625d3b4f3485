// The playground's agent in Chromium: a scripted model builds the app through Rewind's tools,
// breaks it, and asks to roll back; the approval appears in the page and the human answers it.
import type { ListVersionsResponse } from '@rewind/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoint, type Playground, startPlayground } from './harness';

let playground: Playground;
beforeAll(async () => {
  playground = await startPlayground();
});
afterAll(() => playground?.close());

const columns = async (page: Page) =>
  (await page.getByRole('table', { name: 'Contacts' }).getByRole('columnheader').allTextContents()).map((t) =>
    t.trim(),
  );
const versions = async () =>
  (await (await fetch(`${playground.url}api/rewind/versions`)).json()) as ListVersionsResponse;

describe('the agent panel', () => {
  it('runs the prompts through the tools, breaks the app, and rolls back once approved', async () => {
    const { page, context } = await playground.newPage();
    await page.getByRole('button', { name: 'Run the agent' }).click();
    const approval = page.getByRole('group', { name: 'Approval needed' });
    await approval.waitFor({ timeout: 60_000 });
    expect(await approval.textContent()).toContain('The agent wants to restore “v3: tags”');
    const transcript = page.getByRole('list', { name: 'Agent transcript' });
    const lines = await transcript.getByRole('listitem').allTextContents();
    expect(lines).toEqual(
      expect.arrayContaining([
        'Saved version “v1: contacts table”',
        'Saved version “v2: role and company”',
        'Saved version “v3: tags”',
        'Saved version “v4: merge name and email”',
        'App check failed: column "email" does not exist',
      ]),
    );
    // Nothing restored before the human says so: the break is live.
    await expect.poll(() => columns(page), { timeout: 10_000 }).not.toContain('email');
    await checkpoint(page, '14-agent-asks-approval');

    await approval.getByRole('button', { name: 'Approve restore' }).click();
    await transcript
      .getByText('Rolled back to “v3: tags”: the app works again.')
      .waitFor({ timeout: 60_000 });
    await expect
      .poll(() => columns(page), { timeout: 15_000 })
      .toEqual(['id', 'name', 'email', 'role', 'company', 'tags']);
    const listed = await versions();
    expect(listed.versions.find((v) => v.id === listed.currentVersionId)?.label).toBe('v3: tags');
    await checkpoint(page, '15-agent-rolled-back');
    await context.close();
  });
});
