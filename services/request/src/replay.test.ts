import { describe, expect, it } from 'vitest';
import { DEAD_HEADERS, RAW_HEADERS, type StoredEntry } from '@switchyard/bus';
import { deadLetterView, inEnvironment } from './replay.js';

const body = new TextEncoder().encode('{"email":"ada@example.com","ssn":"078-05-1120"}');

const dead = (headers: Record<string, string>): StoredEntry => ({
  seq: 42,
  subject: 'dead.normalize.hubspot.acc_1',
  time: new Date('2026-12-03T10:00:05Z'),
  headers,
  data: body,
  text: () => new TextDecoder().decode(body),
});

describe('deadLetterView', () => {
  it('shows codes and references, and the body only as its size', () => {
    const view = deadLetterView(
      dead({
        [DEAD_HEADERS.stage]: 'normalize',
        [RAW_HEADERS.provider]: 'hubspot',
        [RAW_HEADERS.account]: 'acc_1',
        [DEAD_HEADERS.code]: 'SWY_ERR_EVENT_INVALID',
        [DEAD_HEADERS.rawSeq]: '17',
        [RAW_HEADERS.receivedAt]: '2026-12-03T10:00:00.000Z',
      }),
    );
    expect(view).toMatchObject({
      id: 'dl_42',
      stage: 'normalize',
      provider: 'hubspot',
      integrated_account_id: 'acc_1',
      code: 'SWY_ERR_EVENT_INVALID',
      raw_seq: 17,
      received_at: '2026-12-03T10:00:00.000Z',
      dead_at: '2026-12-03T10:00:05.000Z',
      size_bytes: body.byteLength,
    });
    expect(JSON.stringify(view)).not.toContain('ada@example.com');
  });

  it('reports missing headers as null rather than guessing', () => {
    const view = deadLetterView(dead({}));
    expect(view.stage).toBeNull();
    expect(view.raw_seq).toBeNull();
    expect(view.mapping_version).toBeNull();
  });
});

describe('inEnvironment', () => {
  it('matches only messages stamped with the environment', () => {
    const mine = inEnvironment('env_a');
    expect(mine(dead({ [RAW_HEADERS.environment]: 'env_a' }))).toBe(true);
    expect(mine(dead({ [RAW_HEADERS.environment]: 'env_b' }))).toBe(false);
    expect(mine(dead({}))).toBe(false);
  });
});
