import { describe, expect, it } from 'vitest';
import { jsonOf, valueAt } from './json-value.js';

describe('valueAt', () => {
  const doc = { 'o:errorDetails': [{ 'o:errorCode': 'SSS_REQUEST_LIMIT_EXCEEDED' }], meta: { timestamp: 1700000000 } };

  it('reads dot and bracket paths alike', () => {
    expect(valueAt(doc, 'o:errorDetails.0.o:errorCode')).toBe('SSS_REQUEST_LIMIT_EXCEEDED');
    expect(valueAt(doc, 'o:errorDetails[0].o:errorCode')).toBe('SSS_REQUEST_LIMIT_EXCEEDED');
    expect(valueAt([{ occurredAt: 5 }], '[0].occurredAt')).toBe(5);
    expect(valueAt(doc, 'meta.timestamp')).toBe(1700000000);
  });

  it('reads nothing through inherited properties or missing segments', () => {
    expect(valueAt(doc, '__proto__.constructor')).toBeUndefined();
    expect(valueAt(doc, 'meta.constructor.name')).toBeUndefined();
    expect(valueAt(doc, 'meta.missing.deeper')).toBeUndefined();
    expect(valueAt(doc, 'o:errorDetails.x')).toBeUndefined();
  });
});

describe('jsonOf', () => {
  it('parses bytes and text, passes parsed values through, and gives undefined for non-JSON', () => {
    expect(jsonOf(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(jsonOf('[1]')).toEqual([1]);
    expect(jsonOf({ a: 1 })).toEqual({ a: 1 });
    expect(jsonOf(Buffer.from('a=1&b=2'))).toBeUndefined();
  });
});
