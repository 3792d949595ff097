import { describe, expect, it } from 'vitest';
import { KeyedSequencer } from './keyed-sequencer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedSequencer', () => {
  it('holds an item back until the earlier item with the same key is done, even when it declared first', async () => {
    const seq = new KeyedSequencer();
    const order: string[] = [];
    const first = seq.ticket();
    const second = seq.ticket();
    // The second item knows its key first (its mapping was faster): it must still wait for the first.
    const secondReady = second.keys(['acc:employees:1']).then(() => order.push('second'));
    await tick();
    expect(order).toEqual([]);
    await first.keys(['acc:employees:1']);
    order.push('first');
    await tick();
    expect(order).toEqual(['first']);
    first.done();
    await secondReady;
    expect(order).toEqual(['first', 'second']);
    second.done();
    expect(seq.size).toBe(0);
  });

  it('lets different keys run in parallel once every earlier item has declared', async () => {
    const seq = new KeyedSequencer();
    const a = seq.ticket();
    const b = seq.ticket();
    let bReady = false;
    const waiting = b.keys(['k2']).then(() => (bReady = true));
    await tick();
    expect(bReady).toBe(false); // a has not said which keys it has: it could be k2
    await a.keys(['k1']);
    await waiting;
    expect(bReady).toBe(true); // a is not done, but holds another key
    a.done();
    b.done();
  });

  it('treats an item done without declaring as having no keys (a dead letter does not block its successors)', async () => {
    const seq = new KeyedSequencer();
    const dead = seq.ticket();
    const next = seq.ticket();
    const ready = next.keys(['k']);
    dead.done();
    await ready;
    next.done();
    expect(seq.size).toBe(0);
  });

  it('keeps a chain of many items on one key in arrival order while another key goes past', async () => {
    const seq = new KeyedSequencer();
    const log: string[] = [];
    const items = Array.from({ length: 20 }, (_, i) => ({ i, key: i % 4 === 0 ? 'other' : 'hot', ticket: seq.ticket() }));
    // Declared in reverse order, each finishing after a random delay.
    await Promise.all(
      [...items].reverse().map(async ({ i, key, ticket }) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        await ticket.keys([key]);
        log.push(`${key}:${i}`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        ticket.done();
      }),
    );
    const hot = log.filter((entry) => entry.startsWith('hot:')).map((entry) => Number(entry.split(':')[1]));
    const other = log.filter((entry) => entry.startsWith('other:')).map((entry) => Number(entry.split(':')[1]));
    expect(hot).toEqual([...hot].sort((x, y) => x - y));
    expect(other).toEqual([...other].sort((x, y) => x - y));
    expect(hot).toHaveLength(15);
    expect(seq.size).toBe(0);
  });

  it('refuses a second declaration', async () => {
    const seq = new KeyedSequencer();
    const t = seq.ticket();
    await t.keys(['k']);
    expect(() => t.keys(['k'])).toThrow(/once/);
    t.done();
  });
});
