import { Agent, fetch as undiciFetch, request, type Dispatcher } from 'undici';
import { SwitchyardError } from '@switchyard/contracts';
import { egressConnector, TRACING_OFF, type EgressPolicy, type TraceContext, type Tracer, type TraceSpan } from '@switchyard/kernel';

/** A provider's answer, body read whole (unified calls are bounded; the proxy streams instead). */
export interface ProviderReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_BODY_BYTES = 20 * 1024 * 1024;

/** One provider call. */
export interface ProviderRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  /** The trace the call belongs to (enrichment, a unified read): sent on as `traceparent`. */
  trace?: TraceContext | undefined;
  /** The provider's slug, for the span. */
  provider?: string | undefined;
}

/**
 * Outbound HTTP to providers: one keep-alive pool per origin, the egress policy enforced at connect
 * time, a timeout per call, no redirects followed. Failures to reach the provider are coded errors.
 * OAuth2 token endpoints are called through the same pool, so the same egress policy covers them.
 */
export class ProviderHttp {
  readonly agent: Agent;
  readonly #timeoutMs: number;
  readonly #tracer: Tracer;

  constructor(egress: EgressPolicy, options: { timeoutMs: number; connections?: number; tracer?: Tracer | undefined }) {
    this.#timeoutMs = options.timeoutMs;
    this.#tracer = options.tracer ?? TRACING_OFF;
    this.agent = new Agent({ connect: egressConnector(egress, options.timeoutMs), connections: options.connections ?? 64, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  }

  /** Sends a request and reads the whole body (up to 20 MiB). */
  async send(input: ProviderRequest & { body?: string | Buffer | undefined }): Promise<ProviderReply> {
    const response = await this.open(input);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.body.destroy();
        throw new SwitchyardError('SWY_ERR_PROVIDER_ERROR', 'provider response larger than 20 MiB');
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode, headers: flatten(response.headers), body: Buffer.concat(chunks) };
  }

  /**
   * Sends a request and returns the streaming response (the proxy pipes it to the caller). With
   * tracing on, the call is an HTTP client span (until the response headers) whose traceparent the
   * provider receives; off, a given `trace` is sent on unchanged. The span names the host, never the
   * URL: query strings can hold API keys.
   */
  open(input: ProviderRequest): Promise<Dispatcher.ResponseData> {
    if (!this.#tracer.enabled) return this.#open(input, withTrace(input.headers, input.trace));
    return this.#traced(input);
  }

  async #traced(input: ProviderRequest): Promise<Dispatcher.ResponseData> {
    const span = this.#tracer.start(input.method, 'client', input.trace);
    if (span.recording) describeCall(span, input);
    try {
      const response = await this.#open(input, withTrace(input.headers, span.context ?? input.trace));
      span.set('http.response.status_code', response.statusCode);
      if (response.statusCode >= 400) span.fail(String(response.statusCode));
      return response;
    } catch (error) {
      span.fail(error instanceof SwitchyardError ? error.code : 'error');
      throw error;
    } finally {
      span.end();
    }
  }

  async #open(input: ProviderRequest, headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    try {
      return await request(input.url, {
        method: input.method as Dispatcher.HttpMethod,
        headers,
        body: input.body ?? null,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'SWY_ERR_EGRESS_DENIED') throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', (error as Error).message, { cause: error });
      throw new SwitchyardError('SWY_ERR_PROVIDER_UNREACHABLE', `${new URL(input.url).host}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}`, { cause: error });
    }
  }

  /**
   * WHATWG `fetch` through the same egress-checked pool, for libraries that take a fetch (jose's
   * remote JWKS). Egress refusals surface as the library's fetch error.
   */
  fetch(url: string, init: { headers?: Record<string, string>; signal?: AbortSignal; method?: string } = {}): Promise<Response> {
    return undiciFetch(url, { ...init, redirect: 'manual', dispatcher: this.agent }) as unknown as Promise<Response>;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The headers with the trace context added, or the same object when there is none. */
function withTrace(headers: Record<string, string>, trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return headers;
  return trace.tracestate ? { ...headers, traceparent: trace.traceparent, tracestate: trace.tracestate } : { ...headers, traceparent: trace.traceparent };
}

/** HTTP client attributes (OTel semantic conventions), without `url.full`: a URL can carry credentials. */
function describeCall(span: TraceSpan, input: ProviderRequest): void {
  span.set('http.request.method', input.method);
  span.set('switchyard.provider', input.provider);
  try {
    const url = new URL(input.url);
    span.set('server.address', url.hostname);
    span.set('server.port', Number(url.port) || (url.protocol === 'https:' ? 443 : 80));
    span.set('url.scheme', url.protocol.slice(0, -1));
  } catch {
    // request() refuses it too; the span records the failure.
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
