import { Agent, request } from 'undici';
import { egressConnector, type EgressPolicy } from '@switchyard/kernel';

/** The outcome of one HTTP attempt. Failures are values: the worker decides what they mean. */
export interface AttemptResult {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  latencyMs: number;
  /** Set when no response arrived: `timeout`, `egress_denied`, `connection`, … */
  errorClass?: string;
  /** `Retry-After` of the response, in ms, when present and sane. */
  retryAfterMs?: number;
  /**
   * The first 256 bytes of the response body, as text (for the attempt log). Never kept for a
   * destination reached only through an exception to the block list: it may be an internal service.
   */
  responseExcerpt?: string;
}

const EXCERPT_BYTES = 256;
/** How long a destination's pool choice is reused, in ms; the connector still checks every connection. */
const ROUTE_TTL_MS = 30_000;
const ROUTE_CACHE_SIZE = 20_000;
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * POSTs deliveries through one undici Agent (a keep-alive pool per origin). The connector resolves
 * names through the egress policy, so the address checked is the address connected to. Redirects are
 * not followed (a 3xx is a failed attempt, as Standard Webhooks says). Response bodies are drained and
 * never stored.
 *
 * Two pools: destinations the operator opened by an exception (a listed loopback or private address)
 * go through one that honours the exceptions, everything else through one that honours none. So a name
 * that resolved to a public address when checked and to a listed loopback port when connected (DNS
 * rebinding) is refused, and never yields a response excerpt from the internal service.
 */
export class Sender {
  readonly #egress: EgressPolicy;
  readonly #public: Agent;
  readonly #exceptions: Agent;
  readonly #timeoutMs: number;
  /**
   * Whether a URL reaches an exception, per URL, for {@link ROUTE_TTL_MS}: deciding resolves the host
   * (a DNS lookup) and checks every address, which cost a lookup per delivery. Only the pool choice is
   * cached: the connector checks the address actually connected to, so a stale answer can refuse a
   * delivery (it is retried) but never open a destination the policy closes.
   */
  readonly #routes = new Map<string, { viaException: boolean; until: number }>();

  constructor(egress: EgressPolicy, options: { timeoutMs: number; connections?: number }) {
    this.#egress = egress;
    this.#timeoutMs = options.timeoutMs;
    const pool = (policy: EgressPolicy) =>
      new Agent({
        connect: egressConnector(policy, options.timeoutMs),
        connections: options.connections ?? 32,
        keepAliveTimeout: 30_000,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    this.#public = pool(egress.withoutExceptions());
    this.#exceptions = pool(egress);
  }

  /** POSTs once; never throws (no response is an `errorClass`). */
  async post(url: string, headers: Record<string, string>, body: Uint8Array): Promise<AttemptResult> {
    const started = performance.now();
    try {
      const viaException = this.#egress.allowList.length > 0 && (await this.#viaException(url));
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: viaException ? this.#exceptions : this.#public,
        // undici 7 follows no redirects unless a redirect interceptor is added: a 3xx stays a 3xx.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const excerpt = await readExcerpt(response.body);
      // An internal service's answer stays out of the attempt log (a tenant reads that log).
      if (viaException) return { status: response.statusCode, latencyMs: performance.now() - started, ...retryAfterOf(response.headers['retry-after']) };
      const result: AttemptResult = { status: response.statusCode, latencyMs: performance.now() - started };
      if (excerpt) result.responseExcerpt = excerpt;
      return { ...result, ...retryAfterOf(response.headers['retry-after']) };
    } catch (error) {
      return { status: 0, latencyMs: performance.now() - started, errorClass: classify(error) };
    }
  }

  async #viaException(url: string): Promise<boolean> {
    const now = Date.now();
    const known = this.#routes.get(url);
    if (known && known.until > now) return known.viaException;
    const viaException = await this.#egress.reachesException(url);
    if (this.#routes.size >= ROUTE_CACHE_SIZE) this.#routes.clear();
    this.#routes.set(url, { viaException, until: now + ROUTE_TTL_MS });
    return viaException;
  }

  async close(): Promise<void> {
    await Promise.all([this.#public.close(), this.#exceptions.close()]);
  }
}

/** Reads the first bytes of a response body and discards the rest without buffering it. */
export async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      if (size < EXCERPT_BYTES) chunks.push(chunk);
      size += chunk.length;
      // Small bodies are drained so the keep-alive socket is reused; a huge one is cut off.
      if (size > DRAIN_LIMIT_BYTES) {
        body.destroy();
        break;
      }
    }
  } catch {
    // A body cut short still leaves the status: the excerpt is best effort.
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
}

function retryAfterOf(value: string | string[] | undefined): { retryAfterMs?: number } {
  const ms = parseRetryAfter(value);
  return ms === undefined ? {} : { retryAfterMs: ms };
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
