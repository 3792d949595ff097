import { describe, expect, it } from 'vitest';
import { isLinearPattern } from './linear-pattern.js';
import { Re2RegexEngine, StrictRe2RegexEngine } from './regex-engine.js';

/** mulberry32: seeded, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

const ATOMS = ['a', 'b', 'Z', '0', ':', '_', '-', ' ', '\\d', '\\w', '\\D', '\\W', '\\.', '\\-', '\\/', '[a-z]', '[^:]', '[0-9.]', '[A-Za-z]', '[eE]', '[^a]', '[\\d_]', '[]a]', '[\\d-z]', '.', '\\s', '(a)', 'a|b'];
const QUANTIFIERS = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '{2,2}', '*?'];
const ALPHABET = ['a', 'b', 'Z', 'z', '0', '9', ':', '_', '-', '.', '/', ' ', 'e', 'E', 'é', '😀', '\n', '\r', 'ſ', 'K', '\u00a0', '\u2028'];

function pattern(next: () => number): RegExp {
  const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, ATOMS) + pick(next, QUANTIFIERS));
  const source = `${next() < 0.5 ? '^' : ''}${parts.join('')}${next() < 0.4 ? '$' : ''}`;
  return new RegExp(source, next() < 0.1 ? pick(next, ['i', 'm']) : '');
}

/** Successive matches from `from`, as jsonata's `$match`/`$replace` loop takes them. */
function matches(Engine: typeof StrictRe2RegexEngine, re: RegExp, text: string, from: number): unknown[] {
  const engine = new Engine(re);
  engine.lastIndex = from;
  const out: unknown[] = [];
  for (let k = 0; k < 4; k++) {
    const found = engine.exec(text);
    out.push(found === null ? null : { match: found[0], index: found.index, groups: found.slice(1), lastIndex: engine.lastIndex });
    if (found === null) break;
    if (found[0] === '') engine.lastIndex++;
  }
  return out;
}

describe('linear patterns run on V8 with RE2 results', () => {
  it('hands the shipped mappings’ patterns to V8 and keeps everything that can backtrack or differ on RE2', () => {
    for (const re of [/^[A-Z]{2}$/, /^[^:]*:/, /[eE]/, /__c$/, /^[0-9]+$/, /^[A-Za-z]{2}$/, /^[A-Z]{3}$/]) expect(isLinearPattern(re), String(re)).toBe(true);
    for (const re of [/^(a+)+$/, /a*b/, /^a*b*$/, /[^a]/, /./, /a/i, /^a$/m, /\s+/, /a|b/, /^a*?/, /[]a]/, /é/, /^[0-9]*[.]?[0-9]+$/]) expect(isLinearPattern(re), String(re)).toBe(false);
  });

  it('finds the same matches as RE2 for generated patterns, texts and start positions', () => {
    const seed = 1204;
    const next = random(seed);
    let linear = 0;
    for (let i = 0; i < 3_000; i++) {
      const re = pattern(next);
      if (!isLinearPattern(re)) continue;
      linear++;
      for (let j = 0; j < 6; j++) {
        const text = Array.from({ length: Math.floor(next() * 9) }, () => pick(next, ALPHABET)).join('');
        const from = Math.floor(next() * (text.length + 2));
        const why = `seed ${seed} case ${i}: ${String(re)} over ${JSON.stringify(text)} from ${from}`;
        expect(matches(Re2RegexEngine, re, text, from), why).toEqual(matches(StrictRe2RegexEngine, re, text, from));
      }
    }
    expect(linear).toBeGreaterThan(300);
  });
});
