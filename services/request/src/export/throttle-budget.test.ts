import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '@switchyard/contracts';
import { ProviderThrottled } from '@switchyard/provider-client';
import { ThrottleBudget } from './throttle-budget.js';

const throttled = (retryAfterS?: number) =>
  new ProviderThrottled('hubspot', { throttled: true, policies: [], current: [], violated: ['default'], ...(retryAfterS === undefined ? {} : { retryAfterS }) });

/** A provider call that throws the given errors in turn, then answers 'page'. */
function calls(...errors: Error[]) {
  let count = 0;
  return {
    call: async () => {
      const error = errors[count++];
      if (error) throw error;
      return 'page';
    },
    count: () => count,
  };
}

describe('ThrottleBudget', () => {
  const never = new AbortController().signal;

  it('waits out throttling that fits and answers the page', async () => {
    const provider = calls(throttled(0), throttled(0));
    const budget = new ThrottleBudget({ maxWaitMs: 1_000, maxTotalMs: 1_000 });
    expect(await budget.run(provider.call, never)).toBe('page');
    expect(provider.count()).toBe(3);
    expect(budget.spentMs).toBe(200); // Retry-After: 0 still counts as the 100 ms floor
  });

  it('gives up at once on a Retry-After longer than one wait may be', async () => {
    const provider = calls(throttled(120));
    const budget = new ThrottleBudget({ maxWaitMs: 60_000, maxTotalMs: 300_000 });
    await expect(budget.run(provider.call, never)).rejects.toBeInstanceOf(ProviderThrottled);
    expect(provider.count()).toBe(1);
    expect(budget.spentMs).toBe(0);
  });

  it('gives up when the waits together would pass the total', async () => {
    const provider = calls(throttled(0), throttled(0), throttled(0));
    const budget = new ThrottleBudget({ maxWaitMs: 1_000, maxTotalMs: 250 });
    await expect(budget.run(provider.call, never)).rejects.toBeInstanceOf(ProviderThrottled);
    expect(provider.count()).toBe(3);
  });

  it('passes other errors through without retrying', async () => {
    const provider = calls(new SwitchyardError('SWY_ERR_PROVIDER_ERROR', 'hubspot answered 500'));
    await expect(new ThrottleBudget({ maxWaitMs: 1_000, maxTotalMs: 1_000 }).run(provider.call, never)).rejects.toMatchObject({ code: 'SWY_ERR_PROVIDER_ERROR' });
    expect(provider.count()).toBe(1);
  });

  it('stops waiting and calls no more once the client has left', async () => {
    const provider = calls(throttled(30));
    const left = new AbortController();
    const run = new ThrottleBudget({ maxWaitMs: 60_000, maxTotalMs: 60_000 }).run(provider.call, left.signal);
    left.abort();
    await expect(run).rejects.toBeInstanceOf(ProviderThrottled);
    expect(provider.count()).toBe(1);
  });
});
