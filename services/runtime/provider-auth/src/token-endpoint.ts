import { request, type Dispatcher } from 'undici';

/** How to reach a provider app's token endpoint. */
export interface OAuth2ClientConfig {
  token_url: string;
  client_id: string;
  client_secret: string;
  /**
   * `basic`: HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1; HubSpot, Pipedrive, NetSuite).
   * `body`: `client_id`/`client_secret` form fields (Gusto, Zoho and others that ignore Basic).
   */
  auth: 'basic' | 'body';
  /** Extra form fields some providers require on refresh (e.g. `scope`, `redirect_uri`). */
  extra_params?: Record<string, string> | undefined;
}

/** The answer of one refresh-token grant. Tokens are values here and must not reach a logger. */
export type RefreshGrantResult =
  | { ok: true; access_token: string; refresh_token: string | undefined; expires_in: number | undefined }
  /** The refresh token is dead (revoked, reused, expired): only a reconnection helps. */
  | { ok: false; kind: 'invalid_grant' }
  /** Anything else (5xx, invalid_client, network): worth trying again later, not a reason to disconnect. */
  | { ok: false; kind: 'failed'; status: number | undefined; error: string };

/** Options for {@link refreshGrant}. */
export interface RefreshGrantOptions {
  /** An undici dispatcher built on the egress policy's lookup; the global dispatcher when unset. */
  dispatcher?: Dispatcher | undefined;
  timeoutMs: number;
}

/**
 * Performs `grant_type=refresh_token` (RFC 6749 §6) once. Never throws for I/O: the caller decides what a
 * failure means (`invalid_grant` → the grant is dead; anything else → try again later).
 */
export function refreshGrant(config: OAuth2ClientConfig, refreshToken: string, options: RefreshGrantOptions): Promise<RefreshGrantResult> {
  return tokenRequest(config, new URLSearchParams({ ...config.extra_params, grant_type: 'refresh_token', refresh_token: refreshToken }), options);
}

/**
 * Performs `grant_type=client_credentials` (RFC 6749 §4.4) once, for providers where the app itself is
 * the principal (a service account). There is no refresh token: a new token is simply requested.
 */
export function clientCredentialsGrant(config: OAuth2ClientConfig, scope: string | undefined, options: RefreshGrantOptions): Promise<RefreshGrantResult> {
  return tokenRequest(config, new URLSearchParams({ ...config.extra_params, grant_type: 'client_credentials', ...(scope ? { scope } : {}) }), options);
}

async function tokenRequest(config: OAuth2ClientConfig, form: URLSearchParams, options: RefreshGrantOptions): Promise<RefreshGrantResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (config.auth === 'basic') {
    const pair = `${formEncode(config.client_id)}:${formEncode(config.client_secret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', config.client_id);
    form.set('client_secret', config.client_secret);
  }
  let status: number;
  let text: string;
  try {
    const response = await request(config.token_url, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (cause) {
    return { ok: false, kind: 'failed', status: undefined, error: `token endpoint unreachable: ${(cause as Error).name}` };
  }
  const body = parseJson(text);
  const error = typeof body?.error === 'string' ? body.error : undefined;
  // RFC 6749 §5.2 says 400; some providers answer 401 with the same code. The code is what matters.
  if (status >= 400 && status < 500 && error === 'invalid_grant') return { ok: false, kind: 'invalid_grant' };
  if (status !== 200 || typeof body?.access_token !== 'string') {
    return { ok: false, kind: 'failed', status, error: error ?? `token endpoint answered ${status}` };
  }
  const expiresIn = Number(body.expires_in);
  return {
    ok: true,
    access_token: body.access_token,
    refresh_token: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    expires_in: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
  };
}

// application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks before Base64.
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
