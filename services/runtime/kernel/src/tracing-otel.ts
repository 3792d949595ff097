import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter, type TextMapSetter, type Tracer as OtelTracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { traceContextOf, type TraceContext } from './trace-context.js';
import type { SpanAttribute, SpanKindName, TraceSpan, Tracer, TracingConfig, TracingHandle, TracingOptions } from './tracing.js';

/**
 * Tracing on: the OpenTelemetry SDK behind the kernel's narrow {@link Tracer}. Loaded only by
 * `startTracing` when tracing is on. Parents come in as W3C header values and leave as W3C header
 * values through the official W3C propagator; no context manager, no global registration.
 */

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

type Carrier = { traceparent?: string | undefined; tracestate?: string | undefined };
const getter: TextMapGetter<Carrier> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};
const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    if (key === 'traceparent') carrier.traceparent = value;
    else if (key === 'tracestate') carrier.tracestate = value;
  },
};
const propagator = new W3CTraceContextPropagator();

class OtelSpan implements TraceSpan {
  readonly recording: boolean;
  readonly #span: Span;
  #context: TraceContext | undefined;

  constructor(span: Span) {
    this.#span = span;
    this.recording = span.isRecording();
  }

  get context(): TraceContext | undefined {
    if (!this.#context) {
      const carrier: Carrier = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, this.#span), carrier, setter);
      this.#context = traceContextOf(carrier.traceparent, carrier.tracestate);
    }
    return this.#context;
  }

  set(name: string, value: SpanAttribute | undefined): void {
    if (value !== undefined) this.#span.setAttribute(name, value);
  }

  fail(errorType: string): void {
    this.#span.setAttribute('error.type', errorType);
    this.#span.setStatus({ code: SpanStatusCode.ERROR });
  }

  end(): void {
    this.#span.end();
  }
}

class OtelTracing implements Tracer {
  readonly enabled = true;
  readonly #tracer: OtelTracer;
  constructor(tracer: OtelTracer) {
    this.#tracer = tracer;
  }
  start(name: string, kind: SpanKindName, parent: TraceContext | undefined): TraceSpan {
    const context = parent ? propagator.extract(ROOT_CONTEXT, parent, getter) : ROOT_CONTEXT;
    return new OtelSpan(this.#tracer.startSpan(name, { kind: KINDS[kind] }, context));
  }
}

/** The sampler OTEL_TRACES_SAMPLER names (the spec's values). */
export function samplerFrom(config: Pick<TracingConfig, 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG ?? 1);
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

async function processorsFrom(config: TracingConfig, options: TracingOptions): Promise<SpanProcessor[]> {
  if (options.exporter) return [new SimpleSpanProcessor({ exporter: options.exporter })];
  const processors: SpanProcessor[] = [];
  for (const name of new Set(config.OTEL_TRACES_EXPORTER)) {
    if (name === 'console') processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    if (name === 'otlp') {
      processors.push(
        new BatchSpanProcessor({
          exporter: await otlpExporter(config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL),
          scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
          maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
          maxExportBatchSize: Math.min(config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, config.OTEL_BSP_MAX_QUEUE_SIZE),
          exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
        }),
      );
    }
  }
  return processors;
}

/** The OTLP/HTTP exporter of the protocol; it reads its endpoint, headers and timeout from the environment. */
async function otlpExporter(protocol: 'http/protobuf' | 'http/json'): Promise<SpanExporter> {
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

/** Builds the tracer provider and the kernel's tracer over it. */
export async function startOtelTracing(config: TracingConfig, options: TracingOptions): Promise<TracingHandle> {
  // OTEL_SERVICE_NAME beats OTEL_RESOURCE_ATTRIBUTES' service.name, which beats the process's own name.
  let resource = defaultResource().merge(resourceFromAttributes({ 'service.name': options.serviceName })).merge(detectResources({ detectors: [envDetector] }));
  if (config.OTEL_SERVICE_NAME) resource = resource.merge(resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME }));
  const provider = new TracerProvider({ resource, sampler: samplerFrom(config), spanProcessors: await processorsFrom(config, options) });
  return {
    tracer: new OtelTracing(provider.getTracer('switchyard')),
    close: () => provider.shutdown(),
  };
}
