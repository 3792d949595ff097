import type { JwksCache } from './jwks.js';

/**
 * A webhook request as the verifiers see it: header names lower-cased, the body as the exact bytes
 * received. Verifiers never see a parsed body, so a re-serialized body can never be verified by mistake.
 */
export interface InboundRequest {
  method: string;
  /** The public URL the provider called, with its query string (what URL-signing schemes sign). */
  url: string;
  /** Path and query as received. */
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** What a verification needs besides the request: the secrets to check against, the peer, the clock. */
export interface VerifyOptions {
  /** The account's active webhook secrets; several during a rotation, any one may match. */
  secrets: readonly string[];
  /** The provider app's secrets by name (`client_secret`, …), each possibly several during a rotation. */
  appSecrets?: Readonly<Record<string, readonly string[]>>;
  /** The sender's address as the edge sees it (after trusted-proxy handling), for IP allow-lists. */
  remoteAddress?: string;
  /** Our clock, in ms since the epoch; tests pin it. */
  nowMs?: number;
  /** Where remote JWKS are cached; one shared per process unless given. */
  jwks?: JwksCache;
}

/** {@link VerifyOptions} with the clock resolved, as each check receives it. */
export type VerifyContext = Omit<VerifyOptions, 'nowMs'> & { nowMs: number };

/** The registry codes a verification can answer with. */
export type VerifyErrorCode =
  | 'SWY_ERR_SIGNATURE_MISSING'
  | 'SWY_ERR_SIGNATURE_MISMATCH'
  | 'SWY_ERR_TIMESTAMP_MISSING'
  | 'SWY_ERR_TIMESTAMP_INVALID'
  | 'SWY_ERR_TIMESTAMP_SKEW'
  | 'SWY_ERR_WEBHOOK_SECRET_UNSET'
  | 'SWY_ERR_APP_SECRET_UNSET'
  | 'SWY_ERR_TOKEN_MISSING'
  | 'SWY_ERR_TOKEN_INVALID'
  | 'SWY_ERR_IP_NOT_ALLOWED'
  | 'SWY_ERR_JWKS_UNAVAILABLE';

/** A failed check. `detail` is shown to the caller: never secrets, tokens or body content. */
export interface VerifyFailure {
  ok: false;
  code: VerifyErrorCode;
  detail: string;
}

/** A verification outcome: expected failures are values, with the registry code to answer. */
export type VerifyResult = { ok: true } | VerifyFailure;

/** Shorthand for a failed check. */
export function refuse(code: VerifyErrorCode, detail: string): VerifyFailure {
  return { ok: false, code, detail };
}

/** A header value by name, case-insensitively (request header names are already lower case). */
export function header(request: InboundRequest, name: string): string | undefined {
  return request.headers[name.toLowerCase()];
}
