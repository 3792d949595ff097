import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { MappingEngine } from './mapping-engine.js';

const engine = new MappingEngine();
const run = (source: string, input: unknown = {}) => engine.evaluate('regex test', source, input);

describe('regular expressions in mappings run on RE2', () => {
  it('answers the catastrophic-backtracking pattern from the report at once, at any length', async () => {
    // With the native engine `(a+)+$` over 27 a's and a '!' took 7 s, doubling per character; 5 000 would never end.
    expect(await run(`$contains($pad('', 27, 'a') & '!', /^(a+)+$/)`)).toBe(false);
    expect(await run(`$contains($pad('', 5000, 'a') & '!', /^(a+)+$/)`)).toBe(false);
    expect(await run(`$contains($pad('', 5000, 'a'), /^(a+)+$/)`)).toBe(true);
  });

  it('gives the same answers as JavaScript regexes for the functions mappings use', async () => {
    const cases: Array<[string, unknown]> = [
      [`$match('ab12cd345', /[0-9]+/)`, [{ match: '12', index: 2, groups: [] }, { match: '345', index: 6, groups: [] }]],
      [`$match('/users/42', /^\\/?([a-z]+)\\/([^\\/]+)$/).groups`, ['users', '42']],
      [`$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')`, 'Smith, John'],
      [`$replace('a-b-c', /-/, '+')`, 'a+b+c'],
      [`$split('a1b22c', /[0-9]+/)`, ['a', 'b', 'c']],
      [`$contains('HELLO', /hello/i)`, true],
      [`$contains('HELLO', /hello/)`, false],
      [`$contains('one\\ntwo', /^two$/m)`, true],
      [`$contains('one\\ntwo', /^two$/)`, false],
      [`$match('Ünïcödé x', /\\w+/).match`, ['n', 'c', 'd', 'x']],
      [`$contains('US', /^[A-Z]{2}$/)`, true],
    ];
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    for (const [source, expected] of cases) {
      const native = await jsonata(source).evaluate({});
      expect(plain(await run(source)), source).toEqual(expected);
      expect(plain(await run(source)), `${source} (native)`).toEqual(plain(native));
    }
  });

  it('still refuses a pattern that matches the empty string forever, as JSONata does', async () => {
    await expect(run(`$match('abc', /x*/)`)).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining('D1004') });
  });

  it('refuses lookaround and backreferences with a coded error naming RE2', async () => {
    await expect(run(`$contains('ab', /a(?=b)/)`)).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining('RE2') });
    await expect(run(`$contains('aa', /(a)\\1/)`)).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining('RE2') });
  });
});
