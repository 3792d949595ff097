import { createHmac, randomBytes } from 'node:crypto';

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
 * parameters being every name/value pair (duplicates kept) encoded, then sorted by name and value.
 */
export function signatureBaseString(method: string, url: string, params: ReadonlyArray<readonly [string, string]>): string {
  const normalized = params
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an === bn ? compare(av, bv) : compare(an, bn)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode(baseStringUri(url))}&${percentEncode(normalized)}`;
}

// Encoded parameters are ASCII, so code-unit order is the byte order the RFC asks for.
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Signs a request with OAuth 1.0a (RFC 5849) as NetSuite token-based auth expects: HMAC-SHA256 by default,
 * key `enc(consumerSecret)&enc(tokenSecret)`, query (and form) parameters signed, `realm` only in the header.
 * A fresh nonce and the current time are used unless given; NetSuite rejects a reused nonce.
 */
export function signOAuth1(request: OAuth1Request, credentials: OAuth1Credentials, options: OAuth1Options = {}): OAuth1Signature {
  const method = options.signatureMethod ?? 'HMAC-SHA256';
  const protocol: Array<[string, string]> = [
    ['oauth_consumer_key', credentials.consumerKey],
    ['oauth_token', credentials.tokenId],
    ['oauth_signature_method', method],
    ['oauth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_nonce', options.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_version', '1.0'],
  ];
  // URLSearchParams decodes the way RFC 5849 §3.4.1.3.1 asks (form-urlencoded: `+` is a space).
  const query = [...new URL(request.url).searchParams];
  const params = [...protocol, ...query, ...formPairs(request.form)].filter(([name]) => name !== 'oauth_signature');
  const baseString = signatureBaseString(request.method, request.url, params);
  const key = `${percentEncode(credentials.consumerSecret)}&${percentEncode(credentials.tokenSecret)}`;
  const signature = createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(baseString).digest('base64');
  const signed: Array<[string, string]> = [...protocol, ['oauth_signature', signature]];
  const fields = signed.map(([name, value]) => `${name}="${percentEncode(value)}"`);
  const realm = credentials.realm === undefined ? [] : [`realm="${credentials.realm.replace(/["\\]/g, '\\$&')}"`];
  return { authorization: `OAuth ${[...realm, ...fields].join(', ')}`, baseString, signature };
}

function formPairs(form: OAuth1Request['form']): Array<[string, string]> {
  if (!form) return [];
  if (form instanceof URLSearchParams) return [...form];
  return Object.entries(form).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, value] as [string, string]] : value.map((v): [string, string] => [name, v]),
  );
}
