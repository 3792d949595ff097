import type { MsgHdrs } from '@nats-io/transport-node';
import { traceContextOf, type TraceContext, type TraceSpan } from '@switchyard/kernel';

/**
 * The W3C trace context on bus messages: the same header names and values as on HTTP
 * (docs/internal-consumers.md), on RAW, EVENTS and DELIVERIES messages. Written when the publisher has
 * a context (tracing on, or a traceparent that came with the webhook), absent otherwise.
 */
export const TRACE_HEADERS = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/** The trace context a message carries, validated; undefined when it carries none (one header lookup). */
export function readTrace(headers: MsgHdrs | undefined): TraceContext | undefined {
  const traceparent = headers?.get(TRACE_HEADERS.traceparent);
  if (!traceparent) return undefined;
  return traceContextOf(traceparent, headers!.get(TRACE_HEADERS.tracestate) || undefined);
}

/** Puts a trace context on a message's headers; nothing when there is none. */
export function writeTrace(headers: MsgHdrs, trace: TraceContext | undefined): void {
  if (!trace) return;
  headers.set(TRACE_HEADERS.traceparent, trace.traceparent);
  if (trace.tracestate) headers.set(TRACE_HEADERS.tracestate, trace.tracestate);
}

/** The OpenTelemetry messaging attributes of a span that processes one message from `subject`. */
export function describeConsumed(span: TraceSpan, subject: string): void {
  span.set('messaging.system', 'nats');
  span.set('messaging.operation.type', 'process');
  span.set('messaging.destination.name', subject);
}
