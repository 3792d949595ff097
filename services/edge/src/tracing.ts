import type { FastifyReply } from 'fastify';
import { SwitchyardError } from '@switchyard/contracts';
import type { TraceContext, Tracer, TraceSpan } from '@switchyard/kernel';
import type { VerifyResult } from './verify/index.js';

/** The two webhook routes, as `http.route` and in span names (OTel: `{method} {route}`). */
export const ACCOUNT_ROUTE = '/webhooks/{provider}/{integrated_account_id}';
export const APP_ROUTE = '/webhooks/{provider}/apps/{provider_app_id}';

/**
 * The server span of one webhook request: a child of the provider's traceparent when it sent a valid
 * one, else a new trace. Nothing is recorded of the request but its method, route and provider.
 */
export function startReceive(tracer: Tracer, route: string, slug: string, parent: TraceContext | undefined): TraceSpan {
  const span = tracer.start(`POST ${route}`, 'server', parent);
  if (span.recording) {
    span.set('http.request.method', 'POST');
    span.set('http.route', route);
    span.set('switchyard.provider', slug);
  }
  return span;
}

/**
 * Ends the server span once the request is handled, with the status sent; a 5xx marks it failed (4xx
 * are the client's, as OTel says for servers), and so does a throw (the error handler answers 500).
 */
export async function served<T>(span: TraceSpan, reply: FastifyReply, handling: Promise<T>): Promise<T> {
  try {
    const result = await handling;
    if (span.recording) {
      span.set('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.fail(String(reply.statusCode));
    }
    return result;
  } catch (error) {
    span.fail(error instanceof SwitchyardError ? error.code : 'error');
    throw error;
  } finally {
    span.end();
  }
}

/** Ends a `verify` span with the verdict: the failure's code, never its detail. */
export function endVerify(span: TraceSpan, slug: string, verdict: VerifyResult): void {
  if (span.recording) {
    span.set('switchyard.provider', slug);
    if (!verdict.ok) span.fail(verdict.code);
  }
  span.end();
}
