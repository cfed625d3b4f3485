// The deployment's Neon request budget at the HTTP surface: a user action over budget answers a
// typed `rate_limited` with Retry-After, and Neon itself never answers 429 (issue 13 point 4).
import type { RewindErrorJSON, Version } from '@rewind/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, json, sql, startHarness } from './test/harness';

let h: Harness;
beforeAll(async () => {
  // Neon's limits, scaled down so a test reaches them: 60 a minute for the account.
  h = await startHarness({ emulator: { rateLimits: { perMinute: 60, perSecondPerRoute: 40 } } });
});
afterAll(() => h.close());

describe('the request budget', () => {
  it('answers rate_limited with Retry-After past the budget, and Neon never answers 429', async () => {
    const tenant = await h.addTenant('busy');
    await sql(tenant.uri, `CREATE TABLE t (v text)`);
    const neonStatuses: number[] = [];
    const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
      const response = await h.neon.fetch(input, init);
      neonStatuses.push(response.status);
      return response;
    }) as typeof globalThis.fetch;
    const app = h.makeApp({
      neon: { apiKey: 'k', baseURL: h.neon.baseURL, fetch, timeoutMs: 2_000 },
      // Below Neon's 60: Rewind's own share, as a platform would configure it.
      budget: { perMinute: 40, perSecondPerRoute: 40, userWaitMs: 0 },
    });
    const call = (path: string, body = '{}') =>
      app.request(path, {
        method: 'POST',
        headers: { 'x-tenant': 'busy', 'content-type': 'application/json' },
        body,
      });
    // Made through the harness's app (its own, roomy budget): only the diffs below are measured.
    const created = await h.request('busy', '/versions', { method: 'POST', body: '{"label":"v1"}' });
    expect(created.status).toBe(201);
    const v1 = (await json<{ version: Version }>(created)).version;
    const answers = await Promise.all(Array.from({ length: 30 }, () => call(`/versions/${v1.id}/diff`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    for (const answer of answers.filter((r) => r.status === 429)) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const { error } = await json<RewindErrorJSON>(answer);
      expect(error.code).toBe('rate_limited');
      expect(error.details?.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect(neonStatuses.filter((s) => s === 429)).toEqual([]);
  });
});
