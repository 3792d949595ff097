import { afterEach, describe, expect, it } from 'vitest';
import { EndpointGate, type Turn } from './endpoint-gate.js';

describe('EndpointGate', () => {
  let now = 1_000_000;
  const gates: EndpointGate[] = [];
  const gate = (maxWaitMs = 1_000) => {
    const g = new EndpointGate({ maxWaitMs, backlogMs: 5_000, now: () => now });
    gates.push(g);
    return g;
  };
  afterEach(() => gates.splice(0).forEach((g) => g.close()));
  const settled = async (turns: Array<Promise<Turn>>) => {
    const seen: Array<Turn | 'pending'> = turns.map(() => 'pending');
    turns.forEach((t, i) => void t.then((v) => (seen[i] = v)));
    await new Promise((r) => setImmediate(r));
    return seen;
  };

  it('lets `cap` attempts of one endpoint in at once and the rest in arrival order, other endpoints unaffected', async () => {
    const g = gate();
    const first = await settled([g.enter('a', 2), g.enter('a', 2), g.enter('a', 2), g.enter('a', 2)]);
    expect(first).toEqual(['go', 'go', 'pending', 'pending']);
    expect(await g.enter('b', 2)).toBe('go');
    expect(g.waiting('a')).toBe(2);
  });

  it('passes a freed place to the oldest waiting task of the same endpoint', async () => {
    const g = gate();
    await g.enter('a', 1);
    const order: string[] = [];
    const second = g.enter('a', 1).then((t) => order.push(`second:${t}`));
    const third = g.enter('a', 1).then((t) => order.push(`third:${t}`));
    g.leave('a');
    await second;
    expect(order).toEqual(['second:go']);
    g.leave('a');
    await third;
    expect(order).toEqual(['second:go', 'third:go']);
    g.leave('a');
    expect(g.active('a')).toBe(0);
  });

  it('defers tasks that waited past the limit, then defers the backlogged endpoint’s new tasks at once', async () => {
    const g = gate(1_000);
    await g.enter('slow', 1);
    const waiting = [g.enter('slow', 1), g.enter('slow', 1)];
    now += 999;
    g.sweep();
    expect(await settled(waiting)).toEqual(['pending', 'pending']);
    now += 1;
    g.sweep();
    expect(await settled(waiting)).toEqual(['defer', 'defer']);
    // Backlogged: one more round may wait, anything beyond steps aside without waiting.
    const next = [g.enter('slow', 1), g.enter('slow', 1)];
    expect(await settled(next)).toEqual(['pending', 'defer']);
    // A fast endpoint in the same shard is untouched.
    expect(await g.enter('fast', 1)).toBe('go');
  });

  it('hands every waiting task back when closed (the shard is released)', async () => {
    const g = gate();
    await g.enter('a', 1);
    const waiting = [g.enter('a', 1), g.enter('a', 1)];
    g.close();
    expect(await Promise.all(waiting)).toEqual(['cancelled', 'cancelled']);
  });
});
