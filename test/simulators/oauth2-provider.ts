import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options for {@link startOAuth2Provider}. */
export interface OAuth2ProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Access-token lifetime in seconds; HubSpot and Xero use 1 800, Gusto 7 200. Default 1 800. */
  accessTokenTtlS?: number;
}

/** A grant as the token endpoint returns it. */
export interface IssuedGrant {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** A running OAuth2 provider on loopback, with counters for tests. */
export interface OAuth2ProviderSimulator {
  readonly url: string;
  /** `POST` form-encoded `grant_type=refresh_token` here. */
  readonly tokenUrl: string;
  /** A protected resource: 200 with a valid bearer token, 401 otherwise. */
  readonly meUrl: string;
  /**
   * Asks the protected resource whether `token` is live. API simulators call this for every request:
   * the provider is the only authority on a token (expiry, early expiry).
   */
  introspect(token: string): Promise<boolean>;
  /** Mints a grant as a completed authorization-code flow would. */
  issue(): IssuedGrant;
  /** Successful refreshes. */
  readonly refreshes: number;
  /** Whether this refresh token has been exchanged (each is good for one refresh). */
  wasRefreshed(refreshToken: string): boolean;

  /** Every `grant_type=refresh_token` request, answered or refused. */
  readonly refreshRequests: number;
  /** Refresh requests that presented an already-used (rotated-out) refresh token. */
  readonly reusedRefreshTokens: number;
  /** Requests to the protected resource. */
  readonly resourceRequests: number;
  /** Refresh requests received and held by {@link pauseRefreshes}. */
  readonly heldRefreshes: number;
  /** Every token it ever issued, to prove none appears in logs. */
  issuedTokens(): string[];
  /** Revokes the grant: every refresh from now on answers `invalid_grant`. */
  revoke(): void;
  /** Expires every access token issued so far (the resource answers 401), as an early revocation would. */
  expireAccessTokens(): void;
  /** Holds refresh requests until the returned function is called. */
  pauseRefreshes(): () => void;
  close(): Promise<void>;
}

/**
 * An OAuth2 token endpoint and protected resource behaving as the documented providers do: refresh
 * tokens rotate on every use and are single-use (Gusto, Xero; reuse → 400 `invalid_grant`), access tokens
 * carry `expires_in`, client authentication by HTTP Basic or body fields (RFC 6749 §2.3.1), answers
 * carry `Cache-Control: no-store`.
 */
export async function startOAuth2Provider(options: OAuth2ProviderOptions): Promise<OAuth2ProviderSimulator> {
  const ttlS = options.accessTokenTtlS ?? 1_800;
  const access = new Map<string, number>(); // token → expiry (epoch ms)
  const refresh = new Map<string, 'live' | 'used'>();
  const issued: string[] = [];
  const counters = { refreshes: 0, refreshRequests: 0, reused: 0, resource: 0, held: 0 };
  let revoked = false;
  let gate: Promise<void> | undefined;

  const issue = (): IssuedGrant => {
    const grant = { access_token: `at_${token()}`, refresh_token: `rt_${token()}`, expires_in: ttlS };
    access.set(grant.access_token, Date.now() + ttlS * 1000);
    refresh.set(grant.refresh_token, 'live');
    issued.push(grant.access_token, grant.refresh_token);
    return grant;
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') === 'refresh_token') counters.refreshRequests += 1;
    if (!clientAuthenticated(req, form, options)) return json(res, 401, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'refresh_token') return json(res, 400, { error: 'unsupported_grant_type' });
    if (gate) {
      counters.held += 1;
      await gate;
    }
    const presented = form.get('refresh_token') ?? '';
    const state = refresh.get(presented);
    if (state === 'used') counters.reused += 1;
    if (revoked || state !== 'live') return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
    refresh.set(presented, 'used');
    counters.refreshes += 1;
    json(res, 200, { token_type: 'bearer', ...issue() });
  };

  const resource = (req: IncomingMessage, res: ServerResponse) => {
    counters.resource += 1;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expiry = bearer ? access.get(bearer) : undefined;
    if (expiry === undefined || expiry <= Date.now()) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return json(res, 401, { error: 'invalid_token' });
    }
    json(res, 200, { id: 'user-1' });
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handled =
      req.method === 'POST' && path === '/oauth/token' ? tokenEndpoint(req, res) : req.method === 'GET' && path === '/me' ? resource(req, res) : json(res, 404, { error: 'not_found' });
    Promise.resolve(handled).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    meUrl: `${url}/me`,
    async introspect(token: string) {
      const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      return response.ok;
    },
    issue,
    get refreshes() {
      return counters.refreshes;
    },
    wasRefreshed: (refreshToken: string) => refresh.get(refreshToken) === 'used',

    get refreshRequests() {
      return counters.refreshRequests;
    },
    get reusedRefreshTokens() {
      return counters.reused;
    },
    get resourceRequests() {
      return counters.resource;
    },
    get heldRefreshes() {
      return counters.held;
    },
    issuedTokens: () => [...issued],
    revoke: () => {
      revoked = true;
    },
    expireAccessTokens: () => {
      for (const key of access.keys()) access.set(key, 0);
    },
    pauseRefreshes: () => {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function clientAuthenticated(req: IncomingMessage, form: URLSearchParams, options: OAuth2ProviderOptions): boolean {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString();
    const colon = decoded.indexOf(':');
    // RFC 6749 §2.3.1: id and secret are form-encoded before Base64.
    const id = new URLSearchParams(`v=${decoded.slice(0, colon)}`).get('v');
    const secret = new URLSearchParams(`v=${decoded.slice(colon + 1)}`).get('v');
    return colon > 0 && id === options.clientId && secret === options.clientSecret;
  }
  return form.get('client_id') === options.clientId && form.get('client_secret') === options.clientSecret;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const token = () => randomBytes(18).toString('base64url');
