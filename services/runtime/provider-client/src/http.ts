import { Agent, fetch as undiciFetch, request, type Dispatcher } from 'undici';
import { SwitchyardError } from '@switchyard/contracts';
import { egressConnector, type EgressPolicy } from '@switchyard/kernel';

/** A provider's answer, body read whole (unified calls are bounded; the proxy streams instead). */
export interface ProviderReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_BODY_BYTES = 20 * 1024 * 1024;

/**
 * Outbound HTTP to providers: one keep-alive pool per origin, the egress policy enforced at connect
 * time, a timeout per call, no redirects followed. Failures to reach the provider are coded errors.
 * OAuth2 token endpoints are called through the same pool, so the same egress policy covers them.
 */
export class ProviderHttp {
  readonly agent: Agent;
  readonly #timeoutMs: number;

  constructor(egress: EgressPolicy, options: { timeoutMs: number; connections?: number }) {
    this.#timeoutMs = options.timeoutMs;
    this.agent = new Agent({ connect: egressConnector(egress, options.timeoutMs), connections: options.connections ?? 64, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  }

  /** Sends a request and reads the whole body (up to 20 MiB). */
  async send(input: { method: string; url: string; headers: Record<string, string>; body?: string | Buffer | undefined }): Promise<ProviderReply> {
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

  /** Sends a request and returns the streaming response (the proxy pipes it to the caller). */
  async open(input: { method: string; url: string; headers: Record<string, string>; body?: Dispatcher.DispatchOptions['body'] }): Promise<Dispatcher.ResponseData> {
    try {
      return await request(input.url, {
        method: input.method as Dispatcher.HttpMethod,
        headers: input.headers,
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

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
