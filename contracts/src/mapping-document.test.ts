import { describe, expect, it } from 'vitest';
import { deepMerge } from './mapping-document.js';

describe('deepMerge (override rules)', () => {
  it('merges objects key by key, replaces strings and arrays, and removes keys set to null', () => {
    const base = { webhook: { mapping: 'a', bindings: { departments: { s: 'Sales', e: 'Eng' }, tags: ['x', 'y'], keep: 1 } } };
    const override = { webhook: { bindings: { departments: { e: 'Engineering', h: 'HR' }, tags: ['z'], keep: null } } };
    expect(deepMerge(base, override)).toEqual({
      webhook: { mapping: 'a', bindings: { departments: { s: 'Sales', e: 'Engineering', h: 'HR' }, tags: ['z'] } },
    });
    expect(base.webhook.bindings.keep).toBe(1);
  });

  it('lets a later level win: base ▸ environment ▸ account', () => {
    const base = { webhook: { mapping: 'base', bindings: { a: 1, b: 1 } } };
    const env = { webhook: { mapping: 'env', bindings: { b: 2, c: 2 } } };
    const account = { webhook: { bindings: { c: 3 } } };
    expect(deepMerge(deepMerge(base, env), account)).toEqual({ webhook: { mapping: 'env', bindings: { a: 1, b: 2, c: 3 } } });
  });
});
