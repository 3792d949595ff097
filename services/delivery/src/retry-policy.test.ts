import { describe, expect, it } from 'vitest';
import { decide } from './retry-policy.js';

const policy = { scheduleMs: [5_000, 300_000, 1_800_000], jitter: 0 };
const status = (s: number, retryAfterMs?: number) => ({ status: s, latencyMs: 1, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('retry policy', () => {
  it('follows the schedule attempt by attempt, then gives up', () => {
    expect(decide(status(500), 1, policy)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(decide(status(500), 2, policy)).toEqual({ kind: 'retry', delayMs: 300_000 });
    expect(decide(status(500), 3, policy)).toEqual({ kind: 'retry', delayMs: 1_800_000 });
    expect(decide(status(500), 4, policy)).toEqual({ kind: 'exhausted' });
  });

  it('treats 2xx as delivered, 410 as gone, and 3xx and timeouts as failures', () => {
    expect(decide(status(204), 1, policy)).toEqual({ kind: 'delivered' });
    expect(decide(status(410), 1, policy)).toEqual({ kind: 'gone' });
    expect(decide(status(302), 1, policy)).toMatchObject({ kind: 'retry' });
    expect(decide({ status: 0, latencyMs: 15_000, errorClass: 'timeout' }, 1, policy)).toMatchObject({ kind: 'retry' });
  });

  it('honours Retry-After for 429, 502, 503 and 504 but not for other statuses', () => {
    for (const s of [429, 502, 503, 504]) expect(decide(status(s, 42_000), 1, policy)).toEqual({ kind: 'retry', delayMs: 42_000 });
    expect(decide(status(500, 42_000), 1, policy)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(decide(status(429, 2 * 86_400_000), 1, policy)).toEqual({ kind: 'retry', delayMs: 5_000 });
  });

  it('spreads delays by the jitter fraction, both ways', () => {
    const jittery = { ...policy, jitter: 0.1 };
    expect(decide(status(500), 1, jittery, () => 0)).toEqual({ kind: 'retry', delayMs: 4_500 });
    expect(decide(status(500), 1, jittery, () => 1)).toEqual({ kind: 'retry', delayMs: 5_500 });
  });
});
