import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../defaults';
import { retryDelayMs } from './retry';

const DEFAULT_RETRY = DEFAULTS.retry;
const now = Date.parse('2026-01-01T00:00:00Z');

describe('retryDelayMs', () => {
  it('uses full jitter under an exponential cap', () => {
    expect(retryDelayMs(DEFAULT_RETRY, 0, null, () => 0.999, now)).toBe(249);
    expect(retryDelayMs(DEFAULT_RETRY, 3, null, () => 0.5, now)).toBe(1000);
    expect(retryDelayMs(DEFAULT_RETRY, 20, null, () => 0.999, now)).toBe(7992);
    expect(retryDelayMs(DEFAULT_RETRY, 2, null, () => 0, now)).toBe(0);
  });

  it('honours Retry-After in seconds or as an HTTP date, and gives up past the maximum', () => {
    expect(retryDelayMs(DEFAULT_RETRY, 0, '2', () => 0.5, now)).toBe(2000);
    expect(retryDelayMs(DEFAULT_RETRY, 0, 'Thu, 01 Jan 2026 00:00:05 GMT', () => 0.5, now)).toBe(5000);
    expect(retryDelayMs(DEFAULT_RETRY, 0, '3600', () => 0.5, now)).toBeUndefined();
    expect(retryDelayMs(DEFAULT_RETRY, 0, 'garbage', () => 0, now)).toBe(0);
  });
});
