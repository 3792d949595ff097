/**
 * W3C trace context as it travels between processes: the `traceparent` and `tracestate` header values
 * (https://www.w3.org/TR/trace-context/), validated, nothing else. Plain strings on purpose: carrying
 * them costs nothing when tracing is off, and no OpenTelemetry code is needed to read or write them.
 */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
  readonly traceparent: string;
  readonly tracestate?: string | undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_PARENT = '0000000000000000';
/** W3C asks platforms to carry at least 512 characters of tracestate; longer ones are dropped whole. */
const MAX_TRACESTATE = 512;
/** Printable ASCII only: a tracestate never carries control characters or anything else. */
const TRACESTATE = /^[\x20-\x7e]*$/;

/**
 * The trace context named by header values, or undefined when there is none or it is not valid W3C
 * (a malformed traceparent is ignored, as the spec says, and never forwarded). Version 00 is what we
 * speak: a higher version's first four fields are kept as version 00; `ff` is invalid. A tracestate
 * without a valid traceparent means nothing and is dropped; one too long or with control characters
 * is dropped on its own. Allocates nothing when `traceparent` is absent (the common case).
 */
export function traceContextOf(traceparent: string | string[] | undefined, tracestate?: string | string[] | undefined): TraceContext | undefined {
  // Two traceparent headers are ambiguous: ignored (the spec's answer).
  if (!traceparent || typeof traceparent !== 'string') return undefined;
  let value = traceparent.length > 55 && traceparent.charCodeAt(55) === 45 /* - */ ? traceparent.slice(0, 55) : traceparent;
  if (value.length !== 55 || !TRACEPARENT.test(value)) return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff' || (version === '00' && value !== traceparent)) return undefined;
  if (value.slice(3, 35) === ZERO_TRACE || value.slice(36, 52) === ZERO_PARENT) return undefined;
  if (version !== '00') value = `00${value.slice(2)}`;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return state && state.length <= MAX_TRACESTATE && TRACESTATE.test(state) ? { traceparent: value, tracestate: state } : { traceparent: value };
}

/** The trace id (32 hex) of a context. */
export function traceIdOf(context: TraceContext): string {
  return context.traceparent.slice(3, 35);
}
