import { describe, expect, it } from 'vitest';
import { EndpointLimiter } from './endpoint-limiter.js';

describe('EndpointLimiter', () => {
  it('caps attempts in flight per endpoint without affecting others', () => {
    const limiter = new EndpointLimiter(2);
    expect(limiter.tryAcquire('slow', null)).toBe(true);
    expect(limiter.tryAcquire('slow', null)).toBe(true);
    expect(limiter.tryAcquire('slow', null)).toBe(false);
    expect(limiter.tryAcquire('fast', null)).toBe(true);
    limiter.release('slow');
    expect(limiter.tryAcquire('slow', null)).toBe(true);
  });

  it('admits at most `rate` attempts per second, refilling with time', () => {
    const limiter = new EndpointLimiter(100);
    const t0 = 1_000_000;
    const admitted = Array.from({ length: 10 }, () => limiter.tryAcquire('e', 5, t0)).filter(Boolean).length;
    expect(admitted).toBe(5);
    expect(limiter.tryAcquire('e', 5, t0 + 199)).toBe(false);
    expect(limiter.tryAcquire('e', 5, t0 + 200)).toBe(true);
  });
});

describe('EndpointLimiter waiting', () => {
  it('lets up to the cap wait for a slot, hands slots over in order, and turns away the rest', async () => {
    const limiter = new EndpointLimiter(1);
    expect(await limiter.acquire('e', null)).toBe(true);
    const order: string[] = [];
    const waiting = limiter.acquire('e', null).then((ok) => order.push(`waiter:${ok}`));
    expect(await limiter.acquire('e', null)).toBe(false);
    limiter.release('e');
    await waiting;
    expect(order).toEqual(['waiter:true']);
    expect(limiter.tryAcquire('e', null)).toBe(false);
    limiter.release('e');
    expect(limiter.tryAcquire('e', null)).toBe(true);
  });
});
