import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { MappingEngine } from './mapping-engine.js';
import { configValue, email, enumValue, isoDate, isoDateTime, money, phone, registerMappingFunctions } from './mapping-functions.js';

const blanks = [undefined, null, ''];

describe('isoDateTime', () => {
  it.each([
    [1658248023, '2022-07-19T16:27:03.000Z'],
    [1658248023000, '2022-07-19T16:27:03.000Z'],
    ['1658248023', '2022-07-19T16:27:03.000Z'],
    ['2026-01-31T18:42:00+0000', '2026-01-31T18:42:00.000Z'],
    ['2026-01-31T18:42:00-05:00', '2026-01-31T23:42:00.000Z'],
    ['2026-01-31T18:42:00.123+01', '2026-01-31T17:42:00.123Z'],
    ['2026-01-31 18:42:00', '2026-01-31T18:42:00.000Z'],
    ['2026-01-31T18:42', '2026-01-31T18:42:00.000Z'],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['01/31/2026', '2026-01-31T00:00:00.000Z'],
    ['1/5/2026 9:30', '2026-01-05T09:30:00.000Z'],
    ['Sat, 31 Jan 2026 18:42:00 GMT', '2026-01-31T18:42:00.000Z'],
  ])('%s → %s', (value, expected) => {
    expect(isoDateTime(value)).toBe(expected);
  });

  it.each([...blanks, 'not a date', '2026-02-30', '2026-01-31T25:00:00Z', '13/01/2026', 'January 31, 2026', true, {}, [], Number.NaN, 1e20])(
    '%s → undefined',
    (value) => {
      expect(isoDateTime(value)).toBeUndefined();
    },
  );
});

describe('isoDate', () => {
  it.each([
    ['2026-01-31', '2026-01-31'],
    ['2026-01-31T23:30:00-05:00', '2026-01-31'],
    ['2026-01-31T02:00:00+0900', '2026-01-31'],
    ['01/31/2026', '2026-01-31'],
    ['1/5/2026', '2026-01-05'],
    [1769884920, '2026-01-31'],
    [1769884920000, '2026-01-31'],
    ['Sat, 31 Jan 2026 18:42:00 GMT', '2026-01-31'],
  ])('%s → %s', (value, expected) => {
    expect(isoDate(value)).toBe(expected);
  });

  it.each([...blanks, 'soon', '2026-13-01', '02/29/2025', '31/01/2026', false, { date: '2026-01-31' }])('%s → undefined', (value) => {
    expect(isoDate(value)).toBeUndefined();
  });
});

describe('phone', () => {
  it.each([
    ['+1 (415) 555-0100', undefined, '+14155550100'],
    ['+44 (0) 20 7946 0000', undefined, '+442079460000'],
    ['0044 20 7946 0000', undefined, '+442079460000'],
    ['020 7946 0000', '44', '+442079460000'],
    ['020.7946.0000', '+44', '+442079460000'],
    ['(415) 555-0100', 1, '+14155550100'],
    ['1-415-555-0100', '1', '+14155550100'],
    ['06 1234 5678', '39', '+390612345678'],
    ['tel:+33-1-23-45-67-89', undefined, '+33123456789'],
    ['+1 415 555 0100 ext. 12', undefined, '+14155550100'],
    ['+1 415 555 0100 x12', undefined, '+14155550100'],
    [14155550100, '1', '+14155550100'],
    ['030 1234567', undefined, '0301234567'],
    ['030 1234567', 'DE', '0301234567'],
  ])('%s (default %s) → %s', (value, code, expected) => {
    expect(phone(value, code)).toBe(expected);
  });

  it.each([...blanks, 'call me', '+1 415 CALL-NOW', '12', '+1234567890123456', '+0 20 7946 0000', {}, -5, 1.5])('%s → undefined', (value) => {
    expect(phone(value, '44')).toBeUndefined();
  });
});

describe('email', () => {
  it.each([
    ['  Ada.Lovelace@Example.COM ', 'ada.lovelace@example.com'],
    ['Ada Lovelace <ADA@example.com>', 'ada@example.com'],
    ['mailto:ada+hr@example.co.uk', 'ada+hr@example.co.uk'],
    ['josé@exämple.de', 'josé@exämple.de'],
  ])('%s → %s', (value, expected) => {
    expect(email(value)).toBe(expected);
  });

  it.each([...blanks, 'ada', 'ada@', '@example.com', 'ada@example', 'ada@@example.com', 'a b@example.com', '.ada@example.com', 'ada..l@example.com', 42, {}])(
    '%s → undefined',
    (value) => {
      expect(email(value)).toBeUndefined();
    },
  );
});

describe('enumValue', () => {
  const map = { Active: 'active', 'On Leave': 'inactive', '1': 'pending', Terminated: null };

  it('looks keys up exactly, then trimmed and case-insensitively', () => {
    expect(enumValue('Active', map)).toBe('active');
    expect(enumValue('ACTIVE', map)).toBe('active');
    expect(enumValue(' on leave ', map)).toBe('inactive');
    expect(enumValue(1, map)).toBe('pending');
    expect(enumValue('terminated', map, 'other')).toBeNull();
  });

  it('gives the fallback for unmapped values and undefined for missing ones', () => {
    expect(enumValue('Retired', map)).toBeUndefined();
    expect(enumValue('Retired', map, 'inactive')).toBe('inactive');
    expect(enumValue({ status: 'Active' }, map, 'inactive')).toBe('inactive');
    for (const blank of blanks) expect(enumValue(blank, map, 'inactive')).toBeUndefined();
  });

  it('treats a missing map as empty and never follows the prototype', () => {
    expect(enumValue('Active', undefined, 'x')).toBe('x');
    expect(enumValue('constructor', {}, 'x')).toBe('x');
    expect(enumValue('toString', map)).toBeUndefined();
  });
});

describe('money', () => {
  it.each([
    [1234.5, 'usd', { amount: '1234.5', currency: 'USD' }],
    ['1234.50', 'EUR', { amount: '1234.50', currency: 'EUR' }],
    ['1,234.50', ' gbp ', { amount: '1234.50', currency: 'GBP' }],
    ['-0012.30', 'USD', { amount: '-12.30', currency: 'USD' }],
    ['.5', undefined, { amount: '0.5' }],
    [0, 'US$', { amount: '0' }],
    ['-0', null, { amount: '0' }],
  ])('(%s, %s) → %o', (amount, currency, expected) => {
    expect(money(amount, currency)).toEqual(expected);
  });

  it.each([...blanks, 'free', '12.3.4', '1e3', 1e21, Number.POSITIVE_INFINITY, '1.234,50', true, {}])('%s → undefined', (amount) => {
    expect(money(amount, 'USD')).toBeUndefined();
  });
});

describe('configValue', () => {
  const config = { currency: 'EUR', hubspot: { pipeline: 'sales', stages: { won: 'closedwon' } }, empty: null };

  it('follows dotted paths through own properties only', () => {
    expect(configValue(config, 'currency')).toBe('EUR');
    expect(configValue(config, 'hubspot.stages.won')).toBe('closedwon');
    expect(configValue(config, 'empty')).toBeNull();
    expect(configValue(config, 'hubspot.missing.deeper')).toBeUndefined();
    expect(configValue(config, 'currency.length')).toBeUndefined();
    expect(configValue(config, 'constructor')).toBeUndefined();
    expect(configValue(config, '')).toBeUndefined();
    expect(configValue(undefined, 'currency')).toBeUndefined();
  });
});

describe('the library inside JSONata', () => {
  const engine = new MappingEngine();
  const input = {
    payload: { hired: '03/01/2024', tel: '020 7946 0000', mail: ' ADA@Example.com', status: 'ON LEAVE', total: '99.90' },
    headers: {},
    account: { id: 'acc_1', config: { country_code: '44', currency: 'gbp', statuses: { 'on leave': 'inactive' } }, remote_key: 'r' },
    received_at: '2026-01-31T18:42:00.000Z',
  };

  it('registers every function on engine expressions, reading config from the evaluation input', async () => {
    const source = `{
      "hire_date": $isoDate(payload.hired),
      "phone": $phone(payload.tel, $config("country_code")),
      "email": $email(payload.mail),
      "status": $enum(payload.status, $config("statuses"), "active"),
      "total": $money(payload.total, $config("currency")),
      "missing": $config("nope.deeper", "fallback"),
      "at": $isoDateTime(payload.nothing),
      "hash": $sha256("a")
    }`;
    expect(await engine.evaluate('all', source, input)).toEqual({
      hire_date: '2024-03-01',
      phone: '+442079460000',
      email: 'ada@example.com',
      status: 'inactive',
      total: { amount: '99.90', currency: 'GBP' },
      missing: 'fallback',
      hash: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
    });
  });

  it('reaches the config from inside lambdas and array paths, per evaluation (the compiled form is shared)', async () => {
    const source = '($f := function($k) { $config($k) }; payload.items.{ "c": $f("currency") })';
    const compiled = engine.compile('shared', source);
    expect(engine.compile('shared-again', source)).toBe(compiled);
    const forAccount = (currency: string) => ({ ...input, payload: { items: [{}, {}] }, account: { ...input.account, config: { currency } } });
    // JSONata marks result sequences with an extra property; compare the JSON a mapping publishes.
    const run = async (currency: string) => JSON.parse(JSON.stringify(await engine.evaluate('shared', source, forAccount(currency))));
    expect(await run('EUR')).toEqual([{ c: 'EUR' }, { c: 'EUR' }]);
    expect(await run('USD')).toEqual([{ c: 'USD' }, { c: 'USD' }]);
  });

  it('drops fields whose source is missing or garbage instead of failing the delivery', async () => {
    const source = '{ "d": $isoDate(payload.x), "p": $phone("n/a"), "e": $email(42), "m": $money(null, "USD"), "s": $enum(payload.x, {}) }';
    expect(await engine.evaluate('blank', source, input)).toEqual({});
  });

  it('refuses calls that break a signature with a coded mapping error', async () => {
    await expect(engine.evaluate('bad', '$config(42)', input)).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED' });
    await expect(engine.evaluate('bad', '$email("a@b.co", "extra")', input)).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it('lets a one-off expression fix the config at registration', async () => {
    const expression = jsonata('$config("currency")');
    registerMappingFunctions(expression, { config: { currency: 'JPY' } });
    expect(await expression.evaluate({ account: { config: { currency: 'EUR' } } })).toBe('JPY');
  });
});
