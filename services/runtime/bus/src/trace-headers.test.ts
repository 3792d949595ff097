import { headers as natsHeaders } from '@nats-io/transport-node';
import { traceContextOf } from '@switchyard/kernel';
import { describe, expect, it } from 'vitest';
import { readTrace, TRACE_HEADERS, writeTrace } from './trace-headers.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace headers on bus messages', () => {
  it('round-trips traceparent and tracestate under their W3C names', () => {
    const h = natsHeaders();
    writeTrace(h, traceContextOf(PARENT, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'));
    expect(h.get('traceparent')).toBe(PARENT);
    expect(h.get('tracestate')).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(readTrace(h)).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' });
  });

  it('writes nothing without a context and reads nothing from a message without one', () => {
    const h = natsHeaders();
    writeTrace(h, undefined);
    expect([...h.keys()]).toEqual([]);
    expect(readTrace(h)).toBeUndefined();
    expect(readTrace(undefined)).toBeUndefined();
  });

  it('ignores a malformed traceparent (and so its tracestate)', () => {
    const h = natsHeaders();
    h.set(TRACE_HEADERS.traceparent, 'not-a-traceparent');
    h.set(TRACE_HEADERS.tracestate, 'a=b');
    expect(readTrace(h)).toBeUndefined();
  });
});
