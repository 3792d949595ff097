import { describe, expect, it } from 'vitest';
import type { StoredEntry } from '@switchyard/bus';
import { pageResponse, StreamPageQuery } from './pagination.js';

const entry = (seq: number): StoredEntry => ({
  seq,
  subject: 'raw.hubspot.acc_1',
  time: new Date('2026-12-03T10:00:00Z'),
  headers: {},
  data: new Uint8Array(),
  text: () => '',
});

describe('StreamPageQuery', () => {
  it('defaults to 100 items from the start', () => {
    expect(StreamPageQuery.parse({})).toEqual({ limit: 100 });
  });

  it('reads limit, cursor and since from query strings', () => {
    expect(StreamPageQuery.parse({ limit: '25', cursor: '4711', since: '2026-12-01T00:00:00+01:00' })).toEqual({
      limit: 25,
      cursor: 4711,
      since: new Date('2026-11-30T23:00:00Z'),
    });
  });

  it('refuses a cursor it did not hand out, with a message that says where cursors come from', () => {
    const parsed = StreamPageQuery.safeParse({ cursor: '12abc' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('cursor must come from next_cursor');
  });

  it('refuses a limit outside 1..500 and a since that is not an ISO time', () => {
    expect(StreamPageQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(StreamPageQuery.safeParse({ limit: '501' }).success).toBe(false);
    expect(StreamPageQuery.safeParse({ limit: '2.5' }).success).toBe(false);
    expect(StreamPageQuery.safeParse({ since: 'yesterday' }).success).toBe(false);
  });
});

describe('pageResponse', () => {
  it('shows each entry through the view and hands back the next position as a string', () => {
    expect(pageResponse({ entries: [entry(3), entry(9)], nextSeq: 9, lastSeq: 9 }, (e) => e.seq)).toEqual({ data: [3, 9], next_cursor: '9' });
  });

  it('ends with a null cursor', () => {
    expect(pageResponse({ entries: [], nextSeq: null, lastSeq: null }, (e) => e.seq)).toEqual({ data: [], next_cursor: null });
  });
});
