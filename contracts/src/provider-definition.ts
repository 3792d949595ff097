import { z } from 'zod';
import { CATEGORIES } from './event-type.js';

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
  /** A fixed string, e.g. a `.` separator. */
  z.object({ part: z.literal('literal'), value: z.string() }),
]);
export type SignedPart = z.infer<typeof SignedPart>;

/** Where a timestamp comes from and how far it may drift from our clock, in both directions. */
export const TimestampRule = z.object({
  header: z.string().min(1),
  unit: z.enum(['s', 'ms']).default('s'),
  /** Allowed distance from now, in seconds, in the past and in the future. */
  tolerance_s: z.number().int().positive().default(300),
});

/** How the secret text stored on the account becomes HMAC key bytes. */
export const KeyFormat = z.enum([
  /** UTF-8 bytes of the secret as given. */
  'text',
  /** Base64-decoded secret. */
  'base64',
  /** Standard Webhooks `whsec_<base64>`: the prefix is stripped, the rest base64-decoded. */
  'whsec',
]);

/**
 * HMAC over ordered parts, compared in constant time against one or several signatures in a header.
 * Any active secret of the account (rotation) and any signature entry in the header may match.
 */
export const HmacScheme = z.object({
  scheme: z.literal('hmac'),
  algorithm: z.enum(['sha1', 'sha256', 'sha512']),
  encoding: z.enum(['hex', 'base64', 'base64url']),
  key: z.object({ format: KeyFormat.default('text') }).default({ format: 'text' }),
  signature: z.object({
    header: z.string().min(1),
    /** Stripped from each signature entry before comparing, e.g. `sha256=` or `v1,`. Entries without it are ignored. */
    prefix: z.string().default(''),
    /** When set, the header holds several entries split by this separator (Standard Webhooks uses a space). */
    separator: z.string().min(1).optional(),
  }),
  signed: z.array(SignedPart).min(1),
  timestamp: TimestampRule.optional(),
});
export type HmacScheme = z.infer<typeof HmacScheme>;

/** Every verification scheme a definition can declare. More schemes join this union, never service code. */
export const VerificationScheme = z.discriminatedUnion('scheme', [HmacScheme]);
export type VerificationScheme = z.infer<typeof VerificationScheme>;

/** A webhook body format accepted by the edge, by media type. */
export const BodyFormat = z.enum(['json', 'form', 'text']);

/** The webhook half of a provider definition. */
export const WebhookDefinition = z.object({
  /** Accepted media types and how each is parsed for the mapping. The raw bytes are always kept. */
  content_types: z.record(z.string(), BodyFormat).default({ 'application/json': 'json' }),
  /** Checks that must all pass, on the raw bytes, before anything is stored. */
  verify: z.array(VerificationScheme).min(1),
  /**
   * JSONata over `{headers, payload, body_sha256}` giving the provider's delivery key, used to drop
   * duplicates. Defaults to `body_sha256` (a byte-identical redelivery is a duplicate).
   */
  event_key: z.string().default('body_sha256'),
  /** The JSONata file (in the provider folder) that turns one delivery into zero or more events. */
  mapping: z.string().regex(/^[\w.-]+\.jsonata$/),
  /** Request headers kept with the raw event for the mapping (lower case). Signature headers need not be listed. */
  keep_headers: z.array(z.string()).default([]),
});
export type WebhookDefinition = z.infer<typeof WebhookDefinition>;

/**
 * A provider definition (`mappings/<slug>/provider.json`). Providers are data: everything the services
 * need to know about a provider is declared here, validated by this schema at start-up.
 */
export const ProviderDefinition = z.object({
  $schema: z.string().optional(),
  slug: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  category: z.enum(CATEGORIES),
  /** Bumped when the definition's meaning changes; part of every event's `mapping_version`. */
  version: z.string().min(1),
  docs: z.array(z.string().url()).default([]),
  webhook: WebhookDefinition.optional(),
});
export type ProviderDefinition = z.infer<typeof ProviderDefinition>;
