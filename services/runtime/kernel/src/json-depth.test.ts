import { describe, expect, it } from 'vitest';
import { jsonTooDeep } from './json-depth.js';

describe('JSON depth pre-scan', () => {
  it('accepts a body at the limit and refuses the same body one level deeper', () => {
    expect(jsonTooDeep(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe(false);
    expect(jsonTooDeep(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe(true);
    expect(jsonTooDeep(Buffer.from(`{"a":${'{"b":'.repeat(70)}1${'}'.repeat(71)}`))).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonTooDeep(JSON.stringify({ text: '['.repeat(1_000), quoted: '\\"[[[' + '{'.repeat(500) }))).toBe(false);
  });
});
