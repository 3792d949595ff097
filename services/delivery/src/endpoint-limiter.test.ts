import { describe, expect, it } from 'vitest';
import { EndpointLimiter } from './endpoint-limiter.js';
import { Slots } from './slots.js';

describe('EndpointLimiter', () => {
  it('admits at most `rate` attempts per second per endpoint, refilling with time', () => {
    const limiter = new EndpointLimiter();
    const t0 = 1_000_000;
    const admitted = Array.from({ length: 10 }, () => limiter.tryTake('e', 5, t0)).filter(Boolean).length;
    expect(admitted).toBe(5);
    expect(limiter.tryTake('other', 5, t0)).toBe(true);
    expect(limiter.tryTake('e', 5, t0 + 199)).toBe(false);
    expect(limiter.tryTake('e', 5, t0 + 200)).toBe(true);
    expect(limiter.tryTake('unlimited', null, t0)).toBe(true);
  });
});

describe('Slots', () => {
  it('lets `size` holders in and the rest in arrival order', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const order: number[] = [];
    const a = slots.acquire().then(() => order.push(1));
    const b = slots.acquire().then(() => order.push(2));
    slots.release();
    await a;
    slots.release();
    await b;
    expect(order).toEqual([1, 2]);
  });
});
