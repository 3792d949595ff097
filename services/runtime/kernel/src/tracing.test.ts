import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { traceContextOf, traceIdOf } from './trace-context.js';
import { startTracing, TRACING_OFF, TracingEnv } from './tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE}-00f067aa0ba902b7-01`;

describe('traceContextOf', () => {
  it('keeps a valid traceparent and its tracestate as they are', () => {
    expect(traceContextOf(PARENT, 'congo=t61rcWkgMzE')).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
    expect(traceIdOf(traceContextOf(PARENT)!)).toBe(TRACE);
  });

  it('ignores what W3C calls invalid, and a tracestate without a traceparent', () => {
    for (const bad of [
      undefined,
      '',
      PARENT.toUpperCase(),
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE}-0000000000000000-01`,
      `ff-${TRACE}-00f067aa0ba902b7-01`,
      `${PARENT}-extra`, // version 00 has exactly four fields
      `${PARENT}, ${PARENT}`, // two headers joined
      [PARENT, PARENT],
    ]) {
      expect(traceContextOf(bad, 'a=b'), String(bad)).toBeUndefined();
    }
  });

  it('reads a higher version as 00 and drops an oversized or control-character tracestate', () => {
    expect(traceContextOf(`01-${TRACE}-00f067aa0ba902b7-01-future`)).toEqual({ traceparent: PARENT });
    expect(traceContextOf(PARENT, `a=${'x'.repeat(600)}`)).toEqual({ traceparent: PARENT });
    expect(traceContextOf(PARENT, 'a=b\r\nx: y')).toEqual({ traceparent: PARENT });
    expect(traceContextOf(PARENT, ['a=b', 'c=d'])).toEqual({ traceparent: PARENT, tracestate: 'a=b,c=d' });
  });
});

describe('startTracing', () => {
  it('is off by default: the shared no-op span, the parent carried on unchanged', async () => {
    const exporter = new InMemorySpanExporter();
    const { tracer } = await startTracing(loadConfig(TracingEnv, {}), { serviceName: 'test', exporter });
    expect(tracer).toBe(TRACING_OFF);
    const span = tracer.start('deliver', 'client', traceContextOf(PARENT));
    expect(span.recording).toBe(false);
    expect(span.context).toBeUndefined();
    span.end();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('is off with OTEL_SDK_DISABLED whatever the exporter says', async () => {
    const { tracer } = await startTracing(loadConfig(TracingEnv, { OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' }), { serviceName: 'test' });
    expect(tracer.enabled).toBe(false);
  });

  it('refuses an exporter or sampler it does not know, at start-up', () => {
    expect(() => loadConfig(TracingEnv, { OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => loadConfig(TracingEnv, { OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => loadConfig(TracingEnv, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });

  it('on: a child of the incoming traceparent injects its own id, keeps the trace id and tracestate', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing(loadConfig(TracingEnv, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'edge-test' }), { serviceName: 'test', exporter });
    const parent = traceContextOf(PARENT, 'congo=t61rcWkgMzE')!;
    const span = tracing.tracer.start('verify', 'internal', parent);
    expect(span.recording).toBe(true);
    span.set('switchyard.provider', 'hubspot');
    span.set('ignored', undefined);
    const child = span.context!;
    expect(child.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(child.traceparent).not.toBe(PARENT);
    expect(child.tracestate).toBe('congo=t61rcWkgMzE');
    span.fail('SWY_ERR_SIGNATURE_MISMATCH');
    span.end();
    const [exported] = exporter.getFinishedSpans();
    expect(exported?.spanContext().traceId).toBe(TRACE);
    expect(exported?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(exported?.spanContext().spanId).toBe(child.traceparent.slice(36, 52));
    expect(exported?.attributes).toEqual({ 'switchyard.provider': 'hubspot', 'error.type': 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(exported?.resource.attributes['service.name']).toBe('edge-test');
    await tracing.close();
  });

  it('on: no parent starts a new trace; an unsampled parent records nothing but still propagates', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing(loadConfig(TracingEnv, { OTEL_TRACES_EXPORTER: 'console' }), { serviceName: 'test', exporter });
    const root = tracing.tracer.start('map', 'consumer', undefined);
    expect(root.context?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    root.end();
    const unsampled = tracing.tracer.start('map', 'consumer', traceContextOf(`00-${TRACE}-00f067aa0ba902b7-00`));
    expect(unsampled.recording).toBe(false);
    expect(unsampled.context?.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    unsampled.end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['map']);
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
    await tracing.close();
  });
});
