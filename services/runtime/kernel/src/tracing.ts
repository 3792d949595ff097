import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { bool, optionalString } from './config.js';
import type { TraceContext } from './trace-context.js';

/** What a span is, in OpenTelemetry's terms. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** An attribute value; ids, names, codes and counts only — never a body, token, secret or signature. */
export type SpanAttribute = string | number | boolean;

/**
 * One span, or the shared do-nothing span when tracing is off. Build attributes only when
 * `recording` is true: with tracing off every method is a no-op and nothing should be computed for it.
 */
export interface TraceSpan {
  /** True when this span is sampled and will be exported. */
  readonly recording: boolean;
  /**
   * The trace context this span's children carry (its own traceparent), or undefined when tracing is
   * off: then carry the parent on unchanged (`span.context ?? parent`).
   */
  readonly context: TraceContext | undefined;
  /** Sets an attribute; `undefined` is skipped. */
  set(name: string, value: SpanAttribute | undefined): void;
  /** Marks the span failed with a stable error type (an error code, a status): never a message, which may quote data. */
  fail(errorType: string): void;
  end(): void;
}

/** Starts spans; the narrow face services use. */
export interface Tracer {
  /** False when tracing is off: no SDK is loaded and {@link Tracer.start} returns a shared no-op span. */
  readonly enabled: boolean;
  /** Starts a span, a child of `parent` when given (a remote parent from headers), else a new trace. */
  start(name: string, kind: SpanKindName, parent: TraceContext | undefined): TraceSpan;
}

/** A running tracer: `close()` flushes what was not exported yet and stops the exporters. */
export interface TracingHandle {
  readonly tracer: Tracer;
  close(): Promise<void>;
}

const NOOP_SPAN: TraceSpan = Object.freeze({
  recording: false,
  context: undefined,
  set: () => undefined,
  fail: () => undefined,
  end: () => undefined,
});

/** The tracer when tracing is off: one frozen object, one frozen span, nothing allocated per call. */
export const TRACING_OFF: Tracer = Object.freeze({ enabled: false, start: () => NOOP_SPAN });

const EXPORTERS = ['otlp', 'console', 'none'] as const;
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const positiveInt = (fallback: number) => z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().default(fallback));
const lower = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v);

/**
 * The OpenTelemetry variables Switchyard interprets itself (the spec's names and values, case-insensitive).
 * The OTLP exporter reads its own (`OTEL_EXPORTER_OTLP_ENDPOINT`, `…_TRACES_ENDPOINT`, `…_HEADERS`,
 * `…_TIMEOUT`, `…_COMPRESSION`) and the resource `OTEL_RESOURCE_ATTRIBUTES`, from the process environment.
 */
export const TracingEnv = z.object({
  /** Comma-separated `otlp`, `console`, `none`; default none: tracing off, no SDK loaded. */
  OTEL_TRACES_EXPORTER: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : v),
    z.array(z.enum(EXPORTERS)).default([]),
  ),
  /** `true` turns tracing off whatever the exporter says. */
  OTEL_SDK_DISABLED: bool.default(false),
  /** `service.name` of the spans; default the process's name (`switchyard-hub`, `switchyard-edge`, …). */
  OTEL_SERVICE_NAME: optionalString,
  /** Default `parentbased_always_on`: a provider's unsampled traceparent (flags 00) records nothing. */
  OTEL_TRACES_SAMPLER: z.preprocess(lower, z.enum(SAMPLERS).default('parentbased_always_on')),
  /** The ratio of the `traceidratio` samplers, 0…1 (default 1). */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().min(0).max(1).optional()),
  /** `http/protobuf` (default) or `http/json`; gRPC is not shipped (point it at a collector's HTTP port, 4318). */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(lower, z.enum(PROTOCOLS).default('http/protobuf')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(lower, z.enum(PROTOCOLS).optional()),
  /** The OTLP batch: delay between exports (5000 ms), queue (2048 spans; more are dropped), batch (512), export timeout (30000 ms). */
  OTEL_BSP_SCHEDULE_DELAY: positiveInt(5_000),
  OTEL_BSP_MAX_QUEUE_SIZE: positiveInt(2_048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: positiveInt(512),
  OTEL_BSP_EXPORT_TIMEOUT: positiveInt(30_000),
});
export type TracingConfig = z.output<typeof TracingEnv>;

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** `service.name` when OTEL_SERVICE_NAME is unset. */
  serviceName: string;
  /**
   * Exports here instead of the exporters OTEL_TRACES_EXPORTER names, span by span (tests: an
   * `InMemorySpanExporter`). Tracing still runs only when OTEL_TRACES_EXPORTER turns it on.
   */
  exporter?: SpanExporter | undefined;
}

/** Whether a configuration turns tracing on. */
export function tracingEnabled(config: TracingConfig): boolean {
  return !config.OTEL_SDK_DISABLED && config.OTEL_TRACES_EXPORTER.some((name) => name !== 'none');
}

/**
 * Starts tracing as the configuration says. Off (the default), it returns {@link TRACING_OFF} and loads
 * nothing: the OpenTelemetry API and SDK are imported only here, only when on. On, it builds a tracer
 * provider of its own (not registered globally: the hub passes context explicitly, no context manager
 * runs) with the configured sampler and exporters.
 */
export async function startTracing(config: TracingConfig, options: TracingOptions): Promise<TracingHandle> {
  if (!tracingEnabled(config)) return { tracer: TRACING_OFF, close: async () => undefined };
  const { startOtelTracing } = await import('./tracing-otel.js');
  return startOtelTracing(config, options);
}
