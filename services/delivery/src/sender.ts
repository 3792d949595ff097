import { Agent, request, buildConnector } from 'undici';
import type { EgressPolicy } from '@switchyard/runtime';

/** The outcome of one HTTP attempt. Failures are values: the worker decides what they mean. */
export interface AttemptResult {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  latencyMs: number;
  /** Set when no response arrived: `timeout`, `egress_denied`, `connection`, … */
  errorClass?: string;
  /** `Retry-After` of the response, in ms, when present and sane. */
  retryAfterMs?: number;
}

/**
 * POSTs deliveries through one undici Agent (a keep-alive pool per origin). The connector resolves
 * names through the egress policy, so the address checked is the address connected to. Redirects are
 * not followed (a 3xx is a failed attempt, as Standard Webhooks says). Response bodies are drained and
 * never stored.
 */
export class Sender {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(egress: EgressPolicy, options: { timeoutMs: number; connections?: number }) {
    this.#timeoutMs = options.timeoutMs;
    const connect = buildConnector({ lookup: egress.lookup as never, timeout: Math.min(options.timeoutMs, 10_000) });
    this.#agent = new Agent({
      connect,
      connections: options.connections ?? 32,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async post(url: string, headers: Record<string, string>, body: Uint8Array): Promise<AttemptResult> {
    const started = performance.now();
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.#agent,
        // undici 7 follows no redirects unless a redirect interceptor is added: a 3xx stays a 3xx.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body.dump({ limit: 64 * 1024 });
      const result: AttemptResult = { status: response.statusCode, latencyMs: performance.now() - started };
      const retryAfter = parseRetryAfter(response.headers['retry-after']);
      if (retryAfter !== undefined) result.retryAfterMs = retryAfter;
      return result;
    } catch (error) {
      return { status: 0, latencyMs: performance.now() - started, errorClass: classify(error) };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function classify(error: unknown): string {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (code === 'SWY_ERR_EGRESS_DENIED' || e.cause?.code === 'SWY_ERR_EGRESS_DENIED') return 'egress_denied';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code)) return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection';
  if (/CERT|TLS|SSL/.test(code)) return 'tls';
  return 'error';
}
