import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventEnvelope, SwitchyardError } from '@switchyard/contracts';
import { ProviderCatalog, type LoadedProvider } from './catalog.js';
import { MappingEngine } from './mapping-engine.js';
import { eventId, normalize, type MappingAccount, type RawDelivery } from './normalize.js';

const account: MappingAccount = { id: 'acc_1', environment_id: 'env_1', remote_key: null, config: {} };

const delivery = (payload: unknown, eventKey = 'key-1', extra: { provider?: string; headers?: Record<string, string>; config?: Record<string, unknown> } = {}): RawDelivery => ({
  provider: extra.provider ?? 'bamboohr',
  account: { ...account, config: extra.config ?? {} },
  eventKey,
  receivedAt: '2026-03-01T00:00:00.000Z',
  origin: 'webhook',
  payload,
  headers: extra.headers ?? {},
});

/**
 * A golden fixture (`mappings/<provider>/fixtures/*.json`): the parsed body (`input`), optionally the
 * kept provider headers and the account's config, and either the expected events (without the
 * generated `data.id`; `timestamp` only when the mapping sets one) or the expected error. `mapping:
 * "poll"` runs it through the provider's poll mapping (a provider that both pushes and is polled with
 * a mapping of its own, SuccessFactors); otherwise the webhook mapping runs, else the poll mapping.
 */
interface Fixture {
  input: unknown;
  mapping?: 'webhook' | 'poll';
  headers?: Record<string, string>;
  config?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
  error?: { code: string; message: string };
}

describe('every provider mapping against its golden fixtures', async () => {
  const engine = new MappingEngine();
  const catalog = await ProviderCatalog.load(undefined, engine);
  const cases: Array<[string, LoadedProvider, Fixture]> = [];
  for (const provider of catalog.list()) {
    const dir = join(provider.dir, 'fixtures');
    const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json'));
    for (const file of files) cases.push([`${provider.definition.slug}/${file}`, provider, JSON.parse(await readFile(join(dir, file), 'utf8'))]);
  }

  it('has fixtures for every provider that receives webhooks', () => {
    for (const provider of catalog.list().filter((p) => p.webhookMapping)) {
      expect(cases.some(([, p, f]) => p === provider && f.mapping !== 'poll'), provider.definition.slug).toBe(true);
    }
  });

  it.each(cases)('%s', async (_name, provider, fixture) => {
    const run = normalize(
      engine,
      (fixture.mapping === 'poll' ? provider.pollMapping : (provider.webhookMapping ?? provider.pollMapping))!,
      delivery(fixture.input, 'key-1', { provider: provider.definition.slug, headers: fixture.headers ?? {}, config: fixture.config ?? {} }),
    );
    if (fixture.error) {
      await expect(run).rejects.toMatchObject({ code: fixture.error.code, message: expect.stringContaining(fixture.error.message) });
      return;
    }
    const envelopes = await run;
    for (const envelope of envelopes) expect(EventEnvelope.safeParse(envelope).success).toBe(true);
    expect(
      envelopes.map((e) => {
        const { id: _id, ...data } = e.data;
        return { type: e.type, record_id: e.record_id, ...(e.timestamp !== '2026-03-01T00:00:00.000Z' ? { timestamp: e.timestamp } : {}), data, remote_data: e.remote_data };
      }),
    ).toEqual(fixture.events);
  });
});

describe('normalize', () => {
  let bamboo: LoadedProvider;
  const engine = new MappingEngine();
  beforeAll(async () => {
    bamboo = (await ProviderCatalog.load(undefined, engine)).get('bamboohr')!;
  });
  const payload = { type: 'employee.updated', timestamp: '2026-01-31T18:42:00+0000', data: { employeeId: '7' } };

  it('gives the same event id to a retry and a replay of the same delivery through the same mapping', async () => {
    const [first] = await normalize(engine, bamboo.webhookMapping!, delivery(payload));
    const [again] = await normalize(engine, bamboo.webhookMapping!, { ...delivery(payload), origin: 'replay' });
    expect(again!.id).toBe(first!.id);
    expect(first!.id).toBe(
      eventId({ provider: 'bamboohr', accountId: 'acc_1', eventKey: 'key-1', recordId: '7', action: 'updated', mappingVersion: bamboo.webhookMapping!.version }),
    );
  });

  it('gives a different id to another delivery, record, or mapping version', async () => {
    const [base] = await normalize(engine, bamboo.webhookMapping!, delivery(payload));
    const [otherDelivery] = await normalize(engine, bamboo.webhookMapping!, delivery(payload, 'key-2'));
    const [otherVersion] = await normalize(engine, { ...bamboo.webhookMapping!, version: 'bamboohr@2+00000000' }, delivery(payload));
    expect(new Set([base!.id, otherDelivery!.id, otherVersion!.id]).size).toBe(3);
    expect(otherVersion!.data.id).toBe(base!.data.id);
  });

  it('keeps two changes to one record in one batch apart when each item has its own event key', async () => {
    const mapping = {
      name: 'test/batch.jsonata',
      version: 't@1',
      bindings: {},
      source: 'payload.{"type": "hris/employees:updated", "record_id": "7", "event_key": $string(eventId), "data": {"remote_id": "7"}}',
    };
    const events = await normalize(engine, mapping, delivery([{ eventId: 1 }, { eventId: 2 }]));
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('refuses a mapped event whose data breaks the unified model', async () => {
    const mapping = { name: 'test/bad.jsonata', version: 't@1', bindings: {}, source: '[{"type": "hris/employees:updated", "record_id": "1", "data": {"remote_id": "1", "employment_status": "on-a-boat"}}]' };
    await expect(normalize(engine, mapping, delivery({}))).rejects.toMatchObject({ code: 'SWY_ERR_EVENT_INVALID', message: expect.stringContaining('employment_status') });
  });

  it('refuses an event type with no unified model', async () => {
    const mapping = { name: 'test/unknown.jsonata', version: 't@1', bindings: {}, source: '{"type": "hris/spaceships:created", "record_id": "1", "data": {"remote_id": "1"}}' };
    const error = await normalize(engine, mapping, delivery({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe('SWY_ERR_EVENT_INVALID');
  });

  it('publishes numeric record ids and event keys as strings, and refuses malformed items with the schema\'s own words', async () => {
    const run = (item: string) => normalize(engine, { name: 'test/ids.jsonata', version: 't@1', bindings: {}, source: item }, delivery({}));
    const [event] = await run('{"type": "hris/employees:updated", "record_id": 7, "event_key": 9, "data": {"remote_id": "7"}, "enrich": {"remote_id": 7}}');
    expect(event).toMatchObject({ record_id: '7', enrichment: { status: 'pending', remote_id: '7' } });
    expect(event!.id).toBe(eventId({ provider: 'bamboohr', accountId: 'acc_1', eventKey: '9', recordId: '7', action: 'updated', mappingVersion: 't@1' }));
    await expect(run('{"type": "hris/employees:updated", "record_id": "", "data": {"remote_id": "7"}}')).rejects.toMatchObject({ code: 'SWY_ERR_EVENT_INVALID', message: expect.stringContaining('record_id') });
    await expect(run('{"type": "hris/employees:exploded", "record_id": "7", "data": {"remote_id": "7"}}')).rejects.toMatchObject({
      code: 'SWY_ERR_EVENT_INVALID',
      message: expect.stringContaining('type: expected <category>/<resource>:<action>'),
    });
    await expect(run('{"type": "hris/employees:updated", "record_id": "7", "data": [1]}')).rejects.toMatchObject({ code: 'SWY_ERR_EVENT_INVALID', message: expect.stringContaining('data') });
  });

  it('produces no event when the mapping returns nothing', async () => {
    expect(await normalize(engine, { name: 'n', version: 't@1', bindings: {}, source: 'payload.nothing' }, delivery({}))).toEqual([]);
  });
});
