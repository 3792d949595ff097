import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NdjsonWriter } from './ndjson-writer.js';

/** A reader that takes a chunk only when the test says so: its buffer fills, as a slow client's socket does. */
function slowReader(highWaterMark: number) {
  const received: string[] = [];
  const held: Array<() => void> = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      held.push(done);
    },
  });
  return { out, received, release: () => held.splice(0).forEach((done) => done()) };
}

/** Whether a promise has settled once pending I/O callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('NdjsonWriter', () => {
  it('waits for drain while the reader is behind, then carries on in order', async () => {
    const reader = slowReader(16);
    const writer = new NdjsonWriter(reader.out, { chunkChars: 1 });
    const first = writer.line({ remote_id: '1', name: 'a line longer than the buffer' });
    expect(await settled(first)).toBe(false); // buffer full: nothing more is produced
    reader.release();
    expect(await first).toBe(true);
    const second = writer.line({ remote_id: '2' });
    reader.release();
    expect(await second).toBe(true);
    const ended = writer.end();
    reader.release();
    await ended;
    expect(reader.received.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l).remote_id)).toEqual(['1', '2']);
  });

  it('gathers lines into one chunk until it is full', async () => {
    const reader = slowReader(1 << 20);
    const writer = new NdjsonWriter(reader.out, { chunkChars: 40 });
    for (let i = 0; i < 5; i++) expect(await writer.line({ i })).toBe(true);
    expect(reader.received).toEqual(['{"i":0}\n{"i":1}\n{"i":2}\n{"i":3}\n{"i":4}\n']);
  });

  it('answers false and writes nothing once the reader is gone, also while waiting for drain', async () => {
    const reader = slowReader(16);
    const writer = new NdjsonWriter(reader.out, { chunkChars: 1 });
    const waiting = writer.line({ remote_id: '1', name: 'a line longer than the buffer' });
    expect(await settled(waiting)).toBe(false);
    reader.out.destroy();
    expect(await waiting).toBe(false);
    expect(writer.closed).toBe(true);
    expect(await writer.line({ remote_id: '2' })).toBe(false);
    expect(reader.received).toHaveLength(1);
  });

  it('cuts off a reader that stops reading without closing once the deadline passed', async () => {
    const reader = slowReader(16);
    const writer = new NdjsonWriter(reader.out, { chunkChars: 1, deadline: Date.now() + 20 });
    // The reader never takes the chunk: without the deadline this would wait forever.
    expect(await writer.line({ remote_id: '1', name: 'a line longer than the buffer' })).toBe(false);
    expect(reader.out.destroyed).toBe(true);
    expect(await writer.line({ remote_id: '2' })).toBe(false);
  });
});
