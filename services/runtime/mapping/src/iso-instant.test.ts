import { describe, expect, it } from 'vitest';
import { isoStringOf } from './iso-instant.js';
import { isoDate, isoDateTime } from './mapping-functions.js';

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
const two = (next: () => number, max: number) => String(Math.floor(next() * max)).padStart(2, '0');

/** A timestamp near the fast form: valid and invalid fields, every zone spelling, and near misses. */
function timestamp(next: () => number): string {
  const year = pick(next, ['2026', '1999', '2000', '2100', '0099', '0100', '9999', '20x6']);
  const sep = pick(next, ['T', 't', ' ', 'T', 'T', 'x']);
  const fraction = pick(next, ['', '', '.000', '.5', '.123456', '.9995', '.', '.12a']);
  const zone = pick(next, ['', 'Z', 'z', '+0000', '+01:00', '-05:30', '+14', '-0930', '+2400', '+23:60', '+1', '+01:0', 'Zz', '+01:000', 'UTC']);
  const seconds = pick(next, [`:${two(next, 62)}`, `:${two(next, 60)}`, `:${two(next, 60)}`, '']);
  return `${year}-${two(next, 14)}-${two(next, 32)}${sep}${two(next, 25)}:${two(next, 61)}${seconds}${fraction}${zone}`;
}

/**
 * The same text as the general ISO path alone reads it: that path allows whitespace before the
 * zone (and a bare ` Z` for a zone-less time), which the fast form does not, so the spaced-out
 * text takes the general path and must name the same instant.
 */
function throughGeneralPath(text: string): string {
  const parts = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)(.*)$/.exec(text);
  // Only a date-time and a zone as the ISO regex reads them: anything else is for Date.parse.
  if (!parts || !/^(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/.test(parts[2]!)) return text;
  return parts[2] ? `${parts[1]} ${parts[2]}` : `${text} Z`;
}

describe('isoDateTime fast form', () => {
  it('reads the common provider timestamps as before', () => {
    expect(isoDateTime('2026-01-31T18:42:00+0000')).toBe('2026-01-31T18:42:00.000Z');
    expect(isoDateTime('2026-01-31T18:42:00.5-05:30')).toBe('2026-02-01T00:12:00.500Z');
    expect(isoDateTime('2026-01-31t18:42:00z')).toBe('2026-01-31T18:42:00.000Z');
    expect(isoDateTime('2024-02-29 23:59:59.9995+14')).toBe('2024-02-29T10:00:00.000Z');
  });

  it('refuses what the general path refuses: impossible dates, times and offsets', () => {
    for (const text of ['2026-02-29T00:00:00Z', '2026-01-31T24:00:00Z', '2026-01-31T18:60:00Z', '2026-01-31T18:42:60Z', '2026-01-31T18:42:00+2400', '0099-01-01T00:00:00Z']) {
      expect(isoDateTime(text), text).toBeUndefined();
    }
  });

  it('gives the instant the general ISO path gives, for 20 000 generated timestamps', () => {
    const seed = 20261204;
    const next = random(seed);
    for (let i = 0; i < 20_000; i++) {
      const text = timestamp(next);
      const general = throughGeneralPath(text);
      expect(isoDateTime(text), `seed ${seed} case ${i}: ${JSON.stringify(text)} vs ${JSON.stringify(general)}`).toBe(isoDateTime(general));
      expect(isoDate(text), `seed ${seed} case ${i}: ${JSON.stringify(text)}`).toBe(isoDate(general));
    }
  });
});

describe('isoStringOf', () => {
  it('writes what Date#toISOString writes, across the whole date range', () => {
    const seed = 4120;
    const next = random(seed);
    const edges = [0, -1, 1, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 951_782_400_000, 8.64e15, -8.64e15, 1.5, -0.5];
    const samples = [...edges, ...Array.from({ length: 20_000 }, () => Math.round((next() * 2 - 1) * 2.6e14)), ...Array.from({ length: 2_000 }, () => Math.round((next() * 2 - 1) * 8.64e15))];
    for (const ms of samples) expect(isoStringOf(ms), `seed ${seed}: ${ms}`).toBe(new Date(ms).toISOString());
  });
});
