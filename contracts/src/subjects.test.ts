import { describe, expect, it } from 'vitest';
import {
  attemptsFilterSubject,
  attemptSubject,
  deadFilterSubject,
  deadSubject,
  deliverySubject,
  deliveryRetrySubject,
  deliveryShard,
  deliveryShardFilters,
  DELIVERY_SHARDS,
  environmentEventsSubject,
  operationalSubject,
  rootSubject,
  envelopeSubject,
  eventSubject,
  eventsSubject,
  isSubjectToken,
  parseDeliverySubject,
  parseEventSubject,
  parseRawSubject,
  legacyRawFilterSubject,
  rawShardFilter,
  rawProviderSubject,
  RAW_SHARDS,
  shardOf,
  rawFilterSubject,
  rawSubject,
} from './subjects.js';

describe('event subjects', () => {
  const parts = { environment: 'env_123', category: 'hris', resource: 'employees', action: 'created' } as const;

  it('builds and parses the subject an event is published on', () => {
    expect(eventSubject(parts)).toBe('events.env_123.hris.employees.created');
    expect(parseEventSubject('events.env_123.hris.employees.created')).toEqual(parts);
    expect(envelopeSubject({ environment_id: 'env_123', category: 'hris', resource: 'time_off', action: 'deleted' })).toBe(
      'events.env_123.hris.time_off.deleted',
    );
  });

  it('refuses tokens that would change the subject shape or make it a wildcard', () => {
    for (const environment of ['', 'env.1', 'env*', 'env>', 'env 1', 'env\t1', '>']) {
      expect(() => eventSubject({ ...parts, environment })).toThrow(TypeError);
    }
    expect(() => eventSubject({ ...parts, action: 'renamed' as 'created' })).toThrow(/action/);
  });

  it('parses nothing but concrete record-event subjects', () => {
    expect(parseEventSubject('events.env_123.webhook.endpoint.disabled')).toBeUndefined();
    expect(parseEventSubject('events.env_123.integrated_account.created')).toBeUndefined();
    expect(parseEventSubject('events.env_123.hris.employees.*')).toBeUndefined();
    expect(parseEventSubject('events.env_123.hris.employees.renamed')).toBeUndefined();
    expect(parseEventSubject('events.env_123.hris.employees')).toBeUndefined();
    expect(parseEventSubject('raw.env_123.hris.employees.created')).toBeUndefined();
  });

  it.each([
    [{ environment: 'env_123', category: 'hris', resource: 'employees' }, 'events.env_123.hris.employees.*'],
    [{ environment: 'env_123', category: 'hris' }, 'events.env_123.hris.*.*'],
    [{ environment: 'env_123' }, 'events.env_123.*.*.*'],
    [{ environment: 'env_123', action: 'deleted' }, 'events.env_123.*.*.deleted'],
    [{ environment: 'env_123', resource: 'contacts' }, 'events.env_123.*.contacts.*'],
    [{ category: 'crm', resource: 'leads', action: 'created' }, 'events.*.crm.leads.created'],
    [{ ...parts }, 'events.env_123.hris.employees.created'],
    [{}, 'events.*.*.*.*'],
  ] as const)('filter %o → %s', (filter, subject) => {
    expect(eventsSubject(filter)).toBe(subject);
  });

  it('refuses wildcards passed as filter values (leave the part out instead)', () => {
    expect(() => eventsSubject({ environment: 'env_123', category: '*' })).toThrow(TypeError);
    expect(() => eventsSubject({ environment: 'env_1.hris' })).toThrow(TypeError);
  });
});

describe('raw and delivery subjects', () => {
  it('builds and parses raw subjects and filters, each account in one fixed shard', () => {
    const shard = shardOf('acc_1', RAW_SHARDS);
    const token = `p${String(shard).padStart(2, '0')}`;
    expect(rawSubject({ provider: 'bamboohr', account: 'acc_1' })).toBe(`raw.bamboohr.acc_1.${token}`);
    expect(rawSubject({ provider: 'hubspot', account: 'acc_1' })).toBe(`raw.hubspot.acc_1.${token}`);
    expect(rawShardFilter(shard)).toBe(`raw.*.*.${token}`);
    expect(parseRawSubject(`raw.bamboohr.acc_1.${token}`)).toEqual({ provider: 'bamboohr', account: 'acc_1' });
    expect(parseRawSubject('raw.bamboohr.acc_1')).toEqual({ provider: 'bamboohr', account: 'acc_1' });
    expect(parseRawSubject('raw.bamboohr')).toBeUndefined();
    expect(rawFilterSubject()).toBe('raw.*.*.*');
    expect(rawFilterSubject({ provider: 'hubspot' })).toBe('raw.hubspot.*.*');
    expect(rawFilterSubject({ account: 'acc_1' })).toBe('raw.*.acc_1.*');
    expect(legacyRawFilterSubject({ account: 'acc_1' })).toBe('raw.*.acc_1');
    expect(rawProviderSubject('bamboohr')).toBe('raw.bamboohr.>');
    expect(rawProviderSubject()).toBe('raw.>');
    expect(() => rawSubject({ provider: 'hub.spot', account: 'acc_1' })).toThrow(TypeError);
    expect(() => rawShardFilter(RAW_SHARDS)).toThrow(RangeError);
  });

  it('spreads accounts over the raw shards', () => {
    const seen = new Set(Array.from({ length: 2_000 }, (_, i) => shardOf(`acc_${i.toString(36)}`, RAW_SHARDS)));
    expect(seen.size).toBe(RAW_SHARDS);
  });

  it('builds and parses delivery subjects, each subscription in one fixed shard', () => {
    const shard = deliveryShard('sub_1');
    const token = `p${String(shard).padStart(2, '0')}`;
    expect(deliverySubject('sub_1')).toBe(`deliveries.q.${token}.sub_1`);
    expect(deliveryRetrySubject('sub_1')).toBe(`deliveries.q.${token}.sub_1.r`);
    expect(deliveryShardFilters(shard)).toEqual({ tasks: `deliveries.q.${token}.*`, retries: `deliveries.q.${token}.*.r` });
    expect(parseDeliverySubject(deliverySubject('sub_1'))).toBe('sub_1');
    expect(parseDeliverySubject(deliveryRetrySubject('sub_1'))).toBe('sub_1');
    expect(parseDeliverySubject('deliveries.sub_1')).toBe('sub_1');
    expect(parseDeliverySubject('deliveries.sub_1.retry')).toBe('sub_1');
    expect(parseDeliverySubject('deliveries.sub_1.x')).toBeUndefined();
    expect(parseDeliverySubject('events.sub_1')).toBeUndefined();
    expect(() => deliverySubject('sub 1')).toThrow(TypeError);
    expect(() => deliveryShardFilters(DELIVERY_SHARDS)).toThrow(RangeError);
  });

  it('spreads subscriptions over every shard', () => {
    const counts = new Array<number>(DELIVERY_SHARDS).fill(0);
    for (let i = 0; i < 32_000; i++) counts[deliveryShard(`sub_${i.toString(36)}x${i}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(700);
    expect(Math.max(...counts)).toBeLessThan(1_300);
  });

  it('accepts the ids the hub mints as tokens', () => {
    expect(isSubjectToken('acc_3f9a0b1c2d3e4f5a6b7c8d9e')).toBe(true);
    expect(isSubjectToken('microsoft-graph')).toBe(true);
    expect(isSubjectToken('a.b')).toBe(false);
  });
});

describe('attempt, dead-letter and operational subjects', () => {
  it('builds each stage’s dead-letter subject and filter', () => {
    expect(deadSubject('normalizer', { provider: 'bamboohr', account: 'acc_1' })).toBe('dead.normalizer.bamboohr.acc_1');
    expect(deadSubject('edge', { provider: 'hubspot', app: 'app_1' })).toBe('dead.edge.hubspot.app_1');
    expect(deadSubject('delivery', { subscription: 'sub_1' })).toBe('dead.delivery.sub_1');
    expect(deadFilterSubject('normalizer', { provider: 'bamboohr' })).toBe('dead.normalizer.bamboohr.*');
    expect(deadFilterSubject('normalizer')).toBe('dead.normalizer.*.*');
    expect(() => deadSubject('normalizer', { provider: 'bamboohr', account: 'acc.>' })).toThrow(TypeError);
    expect(() => deadFilterSubject('normalizer', { account: '*' })).toThrow(TypeError);
  });

  it('builds attempt subjects and filters by subscription or event', () => {
    expect(attemptSubject('sub_1', 'evt_1', 'o')).toBe('attempts.sub_1.evt_1.o');
    expect(attemptsFilterSubject({ subscription: 'sub_1' })).toBe('attempts.sub_1.*.*');
    expect(attemptsFilterSubject({ event: 'evt_1' })).toBe('attempts.*.evt_1.*');
    expect(() => attemptSubject('sub_1', 'evt 1', 'o')).toThrow(TypeError);
  });

  it('puts operational events under their environment, one token per type segment', () => {
    expect(operationalSubject('env_1', 'webhook/endpoint:disabled')).toBe('events.env_1.webhook.endpoint.disabled');
    expect(environmentEventsSubject('env_1')).toBe('events.env_1.>');
    expect(() => environmentEventsSubject('env_1.>')).toThrow(TypeError);
    expect(rootSubject('raw')).toBe('raw.>');
  });
});
