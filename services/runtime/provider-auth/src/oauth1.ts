import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';

/** Signature methods we sign with. NetSuite token-based auth requires HMAC-SHA256; SHA1 exists for the RFC vectors. */
export type OAuth1SignatureMethod = 'HMAC-SHA256' | 'HMAC-SHA1';

/** OAuth 1.0a credentials as NetSuite token-based auth names them. */
export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  /** NetSuite "token id" (`oauth_token`). */
  tokenId: string;
  tokenSecret: string;
  /**
   * Sent in the Authorization header and never signed (RFC 5849 §3.4.1.3.1). NetSuite wants the account id
   * upper-cased with `_` (`1234567_SB1`), unlike the host, which is lower-case with `-`.
   */
  realm?: string | undefined;
}

/** The parts of a request the signature covers. */
export interface OAuth1Request {
  method: string;
  /** Absolute URL; its query parameters are signed. */
  url: string;
  /**
   * Parameters of an `application/x-www-form-urlencoded` body, which RFC 5849 signs. JSON bodies (NetSuite
   * REST, SuiteQL) are not signed: leave this out for them.
   */
  form?: URLSearchParams | Record<string, string | readonly string[]> | undefined;
}

/** Overrides for deterministic tests; production leaves them unset. */
export interface OAuth1Options {
  signatureMethod?: OAuth1SignatureMethod;
  nonce?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
}

/** A signed request: the header to send, and the intermediate values for debugging against a provider. */
export interface OAuth1Signature {
  /** The full `Authorization` header value (`OAuth realm="…", oauth_consumer_key="…", …`). */
  authorization: string;
  /** Carries no secret (the key is not part of it), so it is safe to compare in a support ticket. */
  baseString: string;
  /** Base64 signature, not yet percent-encoded. */
  signature: string;
}

/**
 * RFC 5849 §3.6 percent-encoding: everything except ALPHA, DIGIT, `-`, `.`, `_`, `~` becomes `%XX` of its
 * UTF-8 bytes. `encodeURIComponent` leaves `!'()*` alone, which the RFC encodes.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The base string URI (RFC 5849 §3.4.1.2): lower-case scheme and host, default port dropped, no query or
 * fragment. WHATWG URL parsing performs exactly these normalizations.
 */
export function baseStringUri(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * The signature base string (RFC 5849 §3.4.1): `METHOD&enc(base URI)&enc(normalized parameters)`, the
 * parameters being every name/value pair (duplicates kept) encoded, then sorted by name and value — as the
 * `oauth-1.0a` package builds it, from a normalized URI and the pairs given.
 */
export function signatureBaseString(method: string, url: string, params: ReadonlyArray<readonly [string, string]>): string {
  return new OAuth({ consumer: { key: '', secret: '' } }).getBaseString({ url: baseStringUri(url), method: method.toUpperCase(), data: asData(params) }, {} as OAuth.Authorization);
}

/** Name/value pairs as the package's `data`: a repeated name becomes an array, which it sorts by value. */
function asData(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const data: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const seen = data[name];
    data[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return data;
}

/**
 * Signs a request with OAuth 1.0a (RFC 5849) as NetSuite token-based auth expects: HMAC-SHA256 by default,
 * key `enc(consumerSecret)&enc(tokenSecret)`, query (and form) parameters signed, `realm` only in the header.
 * A fresh nonce and the current time are used unless given; NetSuite rejects a reused nonce.
 *
 * The `oauth-1.0a` package builds the base string, signs and writes the header. Two inputs are prepared
 * here because the package leaves them to its caller: the base string URI is normalized (§3.4.1.2: it
 * only cuts the query, so `HTTPS://Host:443/` would sign differently from what the server computes), and
 * query parameters are decoded as form-urlencoded (§3.4.1.3.1: it reads `+` as a plus, not a space) and
 * handed over as data, duplicates as arrays.
 */
export function signOAuth1(request: OAuth1Request, credentials: OAuth1Credentials, options: OAuth1Options = {}): OAuth1Signature {
  const method = options.signatureMethod ?? 'HMAC-SHA256';
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
    signature_method: method,
    hash_function: (base, key) => createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(base).digest('base64'),
    ...(credentials.realm === undefined ? {} : { realm: credentials.realm.replace(/["\\]/g, '\\$&') }),
  });
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  oauth.getNonce = () => nonce;
  oauth.getTimeStamp = () => timestamp;
  const pairs = [...new URL(request.url).searchParams, ...formPairs(request.form)].filter(([name]) => name !== 'oauth_signature');
  const signing = { url: baseStringUri(request.url), method: request.method.toUpperCase(), data: asData(pairs) };
  const authorized = oauth.authorize(signing, { key: credentials.tokenId, secret: credentials.tokenSecret });
  const { oauth_signature: signature, ...signed } = authorized;
  return { authorization: oauth.toHeader(authorized).Authorization, baseString: oauth.getBaseString(signing, signed as OAuth.Authorization), signature };
}

function formPairs(form: OAuth1Request['form']): Array<[string, string]> {
  if (!form) return [];
  if (form instanceof URLSearchParams) return [...form];
  return Object.entries(form).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, value] as [string, string]] : value.map((v): [string, string] => [name, v]),
  );
}
