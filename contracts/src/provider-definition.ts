import { z } from 'zod';
import { CATEGORIES } from './event-type.js';
import { ProviderApi } from './provider-api.js';
import { ProviderRegistration } from './provider-registration.js';
import { ProviderPolling } from './provider-polling.js';

/** One piece of the string a provider signs; pieces are concatenated in order. */
export const SignedPart = z.discriminatedUnion('part', [
  /** The raw request body bytes, exactly as received. */
  z.object({ part: z.literal('body') }),
  /** The HTTP method, upper case. */
  z.object({ part: z.literal('method') }),
  /** The configured public URL of the route, with its query string (what the provider was given). */
  z.object({ part: z.literal('url') }),
  /** The request path with its query string. */
  z.object({ part: z.literal('path') }),
  /** A request header's value (empty when absent). */
  z.object({ part: z.literal('header'), name: z.string().min(1) }),
  /** A `name=value` entry of a keyed signature header, e.g. `t` in `t=…,v1=…` (empty when absent). */
  z.object({ part: z.literal('signature_param'), name: z.string().min(1) }),
  /** A fixed string, e.g. a `.` separator. */
  z.object({ part: z.literal('literal'), value: z.string() }),
]);
export type SignedPart = z.infer<typeof SignedPart>;

/**
 * Where a timestamp comes from (exactly one of `header`, `param`, `field`) and how far it may drift from
 * our clock, in both directions. A `field` is read from the JSON body only after the signature matched,
 * so unauthenticated bytes are never parsed for it.
 */
export const TimestampRule = z
  .object({
    /** A request header holding the timestamp. */
    header: z.string().min(1).optional(),
    /** An entry of a keyed signature header (`t` in `t=…,v1=…`). */
    param: z.string().min(1).optional(),
    /** A dot path into the JSON body, array indices as numbers (`0.occurredAt`). */
    field: z.string().min(1).optional(),
    unit: z.enum(['s', 'ms']).default('s'),
    /** Allowed distance from now, in seconds, in the past and in the future. */
    tolerance_s: z.number().int().positive().default(300),
  })
  .refine((rule) => [rule.header, rule.param, rule.field].filter((source) => source !== undefined).length === 1, {
    message: 'declare exactly one of header, param, field',
  });

/** How the secret text becomes HMAC key bytes. */
export const KeyFormat = z.enum([
  /** UTF-8 bytes of the secret as given. */
  'text',
  /** Base64-decoded secret. */
  'base64',
  /** Standard Webhooks `whsec_<base64>`: the prefix is stripped, the rest base64-decoded. */
  'whsec',
]);

/**
 * Which secrets a check uses: the account's active webhook secrets (default; several during a rotation,
 * any one may match), or one named secret of the provider app (e.g. HubSpot's `client_secret`).
 */
const secretSource = {
  source: z.enum(['account', 'app_secret']).default('account'),
  /** The provider app secret's name; required when `source` is `app_secret`. */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
};
const namedWhenApp = (ref: { source: string; name?: string | undefined }) => ref.source !== 'app_secret' || ref.name !== undefined;
const nameTheAppSecret = { message: 'name the app secret when source is app_secret', path: ['name'] };

/** A secret reference, `{}` meaning the account's secrets. */
export const SecretRef = z.object(secretSource).refine(namedWhenApp, nameTheAppSecret);

/** The header carrying signatures: one value, a separated list, or a keyed `t=…,v1=…` list. */
export const SignatureHeader = z.object({
  header: z.string().min(1),
  /** Stripped from each signature entry before comparing, e.g. `sha256=` or `v1,`. Entries without it are ignored. */
  prefix: z.string().default(''),
  /** When set, the header holds several entries split by this separator (Standard Webhooks uses a space). */
  separator: z.string().min(1).optional(),
  /**
   * Keyed lists: entries are `name=value` pairs split by `separator` (`,` when unset); the values named
   * `param` are signatures (any one may match), the others can be signed or read as the timestamp.
   */
  param: z.string().min(1).optional(),
});

/** Parts, signature header and timestamp shared by the schemes that recompute a signature. */
const signed = {
  signature: SignatureHeader,
  signed: z.array(SignedPart).min(1),
  timestamp: TimestampRule.optional(),
};

/**
 * HMAC over ordered parts, compared in constant time against one or several signatures in a header.
 * Any active secret (rotation) and any signature entry in the header may match.
 */
export const HmacScheme = z.object({
  scheme: z.literal('hmac'),
  algorithm: z.enum(['sha1', 'sha256', 'sha512']),
  encoding: z.enum(['hex', 'base64', 'base64url']),
  key: z
    .object({ format: KeyFormat.default('text'), ...secretSource })
    .refine(namedWhenApp, nameTheAppSecret)
    .prefault({}),
  ...signed,
});
export type HmacScheme = z.infer<typeof HmacScheme>;

/**
 * A plain hash (not an HMAC) of the secret's UTF-8 text followed by the ordered parts, e.g. HubSpot v1
 * `sha256(secret + body)` and v2 `sha256(secret + method + url + body)`. Legacy: prefer `hmac`.
 */
export const DigestScheme = z.object({
  scheme: z.literal('digest'),
  algorithm: z.enum(['sha1', 'sha256']),
  encoding: z.enum(['hex', 'base64']).default('hex'),
  secret: SecretRef.prefault({}),
  ...signed,
});

/** The JWS algorithms a `jwt` scheme may allow. `none` is not among them. */
export const JwtAlgorithm = z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/**
 * A signed JWT (verified with `jose`): key from a JWKS URL (cached, refetched on an unknown `kid`) or a
 * static PEM / JWK / shared secret. Shared-secret keys take only HS* algorithms and public keys never do,
 * so a token cannot switch the verifier to another algorithm family.
 */
export const JwtScheme = z
  .object({
    scheme: z.literal('jwt'),
    /** Where the token travels: `Authorization: Bearer`, another header (after `prefix`), or a query parameter. */
    token: z
      .discriminatedUnion('from', [
        z.object({ from: z.literal('bearer') }),
        z.object({ from: z.literal('header'), name: z.string().min(1), prefix: z.string().default('') }),
        z.object({ from: z.literal('query'), name: z.string().min(1) }),
      ])
      .prefault({ from: 'bearer' }),
    key: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('jwks'),
        /** Fetched over https; plain http only on loopback (local tests), where no one can swap the keys. */
        url: z.url({ protocol: /^https?$/ }).refine((url) => /^(https:|http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/])/.test(url), 'use an https JWKS URL'),
      }),
      /** A PEM public key or certificate, a JSON JWK, or a shared secret, from the account or app secrets. */
      z.object({ type: z.enum(['pem', 'jwk', 'secret']), ...secretSource }).refine(namedWhenApp, nameTheAppSecret),
    ]),
    algorithms: z.array(JwtAlgorithm).min(1),
    issuer: z.string().min(1).optional(),
    /** Accepted audiences (literal strings); the token's `aud` must contain one. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
    clock_tolerance_s: z.number().int().min(0).max(300).default(30),
    /** Oldest accepted token by its `iat`, in seconds (then `iat` is required); bounds replay of long-lived tokens. */
    max_age_s: z.number().int().positive().optional(),
    /** Claims that must be present; `exp` by default so a captured token cannot be replayed forever. */
    required_claims: z.array(z.string().min(1)).default(['exp']),
    /** Binds the body: this claim must hold the hash of the raw body bytes in this encoding. */
    body_hash: z
      .object({
        claim: z.string().min(1),
        algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
        encoding: z.enum(['hex', 'base64', 'base64url']).default('base64url'),
      })
      .optional(),
  })
  .refine((jwt) => jwt.algorithms.every((alg) => alg.startsWith('HS') === (jwt.key.type === 'secret')), {
    message: 'HS* algorithms go with key type secret, and only with it',
    path: ['algorithms'],
  });

/** HTTP Basic: the `user:password` the provider sends must equal an active secret, compared in constant time. */
export const BasicScheme = z.object({ scheme: z.literal('basic'), secret: SecretRef.prefault({}) });

/**
 * A static token the provider echoes: in a header (after `prefix`), a query parameter, or a top-level
 * field of a JSON or form body (Zoho's `token`). The body is parsed for this field only.
 */
export const TokenScheme = z.object({
  scheme: z.literal('token'),
  in: z.enum(['header', 'query', 'body']),
  name: z.string().min(1),
  prefix: z.string().default(''),
  secret: SecretRef.prefault({}),
});

/** `Authorization: Bearer <token>` where the token must equal an active secret. */
export const BearerScheme = z.object({ scheme: z.literal('bearer'), secret: SecretRef.prefault({}) });

/** An extra check, never authentication on its own: the peer address must lie in one of these CIDRs. */
export const IpAllowlistScheme = z.object({
  scheme: z.literal('ip_allowlist'),
  cidrs: z.array(z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()])).min(1),
});

/** A scheme that authenticates a request on its own: what an `any_of` group chooses among. */
export const VerificationAlternative = z.discriminatedUnion('scheme', [HmacScheme, DigestScheme, JwtScheme, BasicScheme, TokenScheme, BearerScheme]);
export type VerificationAlternative = z.infer<typeof VerificationAlternative>;

/**
 * Alternatives, tried in order: the request passes when one of them passes. For providers that sign the
 * same delivery in more than one documented way (HubSpot v3, v2 and v1 side by side) or let the
 * customer choose where a static secret travels (Dataverse: a header or `?code=`). A refusal names the
 * failure of the first alternative the request tried to satisfy (one whose signature, token or
 * credentials it carries), not a "missing" of another. A group bounds a delivery's age only when every
 * alternative does, since a sender may pick the weakest.
 */
export const AnyOfScheme = z.object({
  scheme: z.literal('any_of'),
  of: z.array(VerificationAlternative).min(2),
});
export type AnyOfScheme = z.infer<typeof AnyOfScheme>;

/** Every verification scheme a definition can declare. More schemes join this union, never service code. */
export const VerificationScheme = z.discriminatedUnion('scheme', [
  HmacScheme,
  DigestScheme,
  JwtScheme,
  BasicScheme,
  TokenScheme,
  BearerScheme,
  IpAllowlistScheme,
  AnyOfScheme,
]);
export type VerificationScheme = z.infer<typeof VerificationScheme>;

/** A webhook body format accepted by the edge, by media type. XML (Salesforce's SOAP) is parsed to JSON for mappings. */
export const BodyFormat = z.enum(['json', 'form', 'xml', 'text']);

/**
 * A reply the edge sends: status, content type and body. `body` is a JSONata expression over
 * `{method, query, headers, payload, secrets}` (a string result is sent as is, anything else as JSON);
 * without it the body is empty. `$hmac(algorithm, key, message, encoding)` is available for challenges
 * that must be answered with a keyed hash.
 */
export const Reply = z.object({
  status: z.number().int().min(200).max(599).default(200),
  content_type: z.string().min(1).default('application/json'),
  body: z.string().optional(),
});
export type Reply = z.infer<typeof Reply>;

/**
 * A handshake: a request the provider sends to check the URL rather than to deliver an event
 * (Microsoft Graph `validationToken`, Xero intent-to-receive, Gusto's verification token, Slack/Zoom
 * challenges). When `match` is true the edge answers `reply` and stores nothing.
 */
export const Handshake = z.object({
  name: z.string().min(1),
  /** JSONata over `{method, query, headers, payload}`; truthy when this request is the handshake. */
  match: z.string().min(1),
  /**
   * Whether the request must pass the webhook's verification before the reply (Xero: a bad signature
   * must get 401). Unverified handshakes only echo or capture; they never publish anything.
   */
  verified: z.boolean().default(false),
  /**
   * Largest body an unverified handshake may carry, in bytes. Unverified handshakes are looked for
   * before the signature check, so only bodies this small are ever parsed unauthenticated; a larger
   * body is matched on `method`, `query` and `headers` alone, and refused (413) if that matches.
   */
  max_bytes: z.number().int().min(0).max(65_536).default(4_096),
  /**
   * A value the provider POSTs to become the account's webhook secret (Gusto's verification token, later
   * the HMAC key). Never trusted on first use: it is taken only while the customer has opened the
   * account's verification window (`POST /v1/integrated-accounts/{id}/verification`), kept as pending
   * (a different second value is refused, not swapped in), and becomes the secret only when the customer
   * confirms it with the value the provider shows them (`…/verification/confirm`).
   */
  capture_secret: z.string().optional(),
  /** How long a verification window stays open when the customer does not say, in minutes. */
  capture_window_minutes: z.number().int().min(1).max(60).default(10),
  reply: Reply.prefault({}),
});
export type Handshake = z.infer<typeof Handshake>;

/**
 * How a delivery sent to a provider app's URL (`/webhooks/{provider}/apps/{app}`) finds its accounts:
 * HubSpot batches events of many portals, QuickBooks of many realms, Xero of many tenants.
 */
export const AppRouting = z.object({
  /** JSONata over the payload: the batch's items (default: the payload itself as one item). */
  items: z.string().min(1).default('$'),
  /** JSONata over one item: the account's remote key (portalId, realmId, tenantId). */
  remote_key: z.string().min(1),
  /**
   * JSONata over `{payload, items}` rebuilding the payload for one account's items when a batch spans
   * several accounts. A batch for one account keeps its original bytes.
   */
  rebuild: z.string().min(1).default('items'),
});
export type AppRouting = z.infer<typeof AppRouting>;

/** The webhook half of a provider definition. */
export const WebhookDefinition = z.object({
  /** Accepted media types and how each is parsed for the mapping. The raw bytes are always kept. */
  content_types: z.record(z.string(), BodyFormat).default({ 'application/json': 'json' }),
  /** Checks that must all pass, on the raw bytes, before anything is stored. */
  verify: z
    .array(VerificationScheme)
    .min(1)
    .refine((schemes) => schemes.some((check) => check.scheme !== 'ip_allowlist'), {
      message: 'an IP allow-list is an extra check: declare a scheme that authenticates the request too',
    }),
  /**
   * JSONata over `{headers, payload, body_sha256}` giving the provider's delivery key, used to drop
   * duplicates. Defaults to `body_sha256` (a byte-identical redelivery is a duplicate).
   */
  event_key: z.string().default('body_sha256'),
  /** The JSONata file (in the provider folder) that turns one delivery into zero or more events. */
  mapping: z.string().regex(/^[\w.-]+\.jsonata$/),
  /** Data the mapping reads as `$name` (enum maps, codes); environments and accounts may override entries. */
  bindings: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.unknown()).default({}),
  /** Request headers kept with the raw event for the mapping (lower case). Signature headers need not be listed. */
  keep_headers: z.array(z.string()).default([]),
  /** Handshakes, tried in order before a request is treated as a delivery. */
  handshakes: z.array(Handshake).default([]),
  /** The reply to an accepted (or duplicate) delivery, when the provider expects one (Salesforce's SOAP Ack). */
  reply: Reply.optional(),
  /** App-level URLs: how to route a delivery to its accounts. Without it, only per-account URLs exist. */
  app_routing: AppRouting.optional(),
});
export type WebhookDefinition = z.infer<typeof WebhookDefinition>;

/**
 * A provider definition (`mappings/<slug>/provider.json`). Providers are data: everything the services
 * need to know about a provider is declared here, validated by this schema at start-up.
 */
export const ProviderDefinition = z
  .object({
  $schema: z.string().optional(),
  slug: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  category: z.enum(CATEGORIES),
  /** Bumped when the definition's meaning changes; part of every event's `mapping_version`. */
  version: z.string().min(1),
  docs: z.array(z.string().url()).default([]),
  webhook: WebhookDefinition.optional(),
  /** The provider's REST API for unified reads and writes and the proxy. */
  api: ProviderApi.optional(),
  /** How the hub sets up and keeps alive its webhook at the provider, or the manual steps (docs/registration.md). */
  registration: ProviderRegistration.optional(),
  /** Resources whose changes the hub polls for (docs/polling.md). */
  polling: ProviderPolling.optional(),
})
  .refine((d) => d.registration?.mode !== 'api' || (d.api !== undefined && d.webhook !== undefined), {
    message: 'registration through the API needs an api section (base URL, auth) and a webhook section',
    path: ['registration'],
  })
  .refine((d) => !d.polling || (d.api !== undefined && (d.polling.mapping !== undefined || d.webhook !== undefined)), {
    message: 'polling needs an api section (base URL, auth) and a mapping: polling.mapping, or a webhook section',
    path: ['polling'],
  });
export type ProviderDefinition = z.infer<typeof ProviderDefinition>;
