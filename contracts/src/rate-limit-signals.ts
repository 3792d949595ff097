import { z } from 'zod';

/**
 * What a provider's reset header holds. The IETF fields want delay-seconds; providers send any of these,
 * which is why the definition must say which one (an epoch read as a delay is off by 56 years).
 */
export const ResetFormat = z.enum([
  /** Seconds from now (`x-ratelimit-reset: 2`). */
  'delay-seconds',
  /** Milliseconds from now. */
  'delay-ms',
  /** Unix time in seconds. */
  'epoch-seconds',
  /** Unix time in milliseconds. */
  'epoch-ms',
  /** An HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`). */
  'http-date',
  /** An ISO 8601 date-time with offset (`2026-10-21T07:28:00Z`). */
  'iso-8601',
]);
export type ResetFormat = z.infer<typeof ResetFormat>;

/**
 * A policy name as it will appear in `RateLimit-Policy`: a Structured Field String, so printable ASCII
 * only. Names read from bodies at run time are sanitized instead of rejected.
 */
export const PolicyName = z.string().regex(/^[\x20-\x7e]{1,64}$/, 'printable ASCII, 1 to 64 characters');

/** A header name, compared case-insensitively. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name');

/**
 * A dot path into the JSON body, array indices as numbers (`0.errorCode`, `o:errorDetails.0.o:errorCode`);
 * `[0]` is accepted as a synonym for `.0`. Own properties only.
 */
const BodyPath = z.string().min(1);

/**
 * One quota the provider reports in plain headers, e.g. HubSpot's `X-HubSpot-RateLimit-Max` /
 * `-Remaining` / `-Interval-Milliseconds`. Every header is optional at run time: a missing or malformed
 * value drops that field only (HubSpot omits its daily pair on OAuth calls).
 */
export const HeaderPolicy = z
  .strictObject({
    name: PolicyName,
    /** Header carrying the quota (`q`). */
    limit_header: HeaderName.optional(),
    /** The documented quota, used when no header carries one (Dataverse: 6000 per 300 s). */
    limit: z.number().int().nonnegative().optional(),
    /** Header carrying the remaining units (`r`). */
    remaining_header: HeaderName.optional(),
    /** Header carrying when the window resets (`t`), read as `reset_format`. */
    reset_header: HeaderName.optional(),
    reset_format: ResetFormat.default('delay-seconds'),
    /** The window (`w`) in seconds, when fixed. */
    window_s: z.number().int().positive().optional(),
    /** Header carrying the window, in `window_unit`; wins over `window_s` when present and valid. */
    window_header: HeaderName.optional(),
    window_unit: z.enum(['s', 'ms']).default('s'),
    /** The draft's `qu`; omitted means requests. */
    quota_unit: z.enum(['requests', 'content-bytes', 'concurrent-requests']).optional(),
  })
  .refine((p) => p.limit_header !== undefined || p.limit !== undefined || p.remaining_header !== undefined, {
    message: 'declare at least one of limit_header, limit, remaining_header',
  });
export type HeaderPolicy = z.infer<typeof HeaderPolicy>;

/** A header that packs several values and needs a named parser. */
export const CompoundHeader = z.discriminatedUnion('parser', [
  /**
   * Salesforce `Sforce-Limit-Info: api-usage=25/15000[, per-app-api-usage=17/250(appName=x)]`: each
   * `key=used/limit` becomes a policy named by its key, with `window_s` (the daily allowance rolls over 24 h).
   */
  z.strictObject({
    parser: z.literal('sforce-limit-info'),
    header: HeaderName.default('sforce-limit-info'),
    window_s: z.number().int().positive().optional(),
  }),
  /** A provider that already sends draft-11 `RateLimit-Policy` and `RateLimit`: taken as they are. */
  z.strictObject({ parser: z.literal('ietf-draft-11') }),
]);
export type CompoundHeader = z.infer<typeof CompoundHeader>;

/**
 * A response that means "throttled": a status, optionally narrowed by a body value. Salesforce says it with
 * 403 + `0.errorCode == REQUEST_LIMIT_EXCEEDED`, NetSuite with 400/429 + an `o:errorCode`.
 */
export const ThrottleDetector = z
  .strictObject({
    status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]),
    /** Body value to test; without `equals` any non-null value matches. */
    body_path: BodyPath.optional(),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /**
     * The detector applies only to responses before this instant. BambooHR throttles with 503 until
     * 2026-09-16 and with 429 after it, when 503 means only "unavailable".
     */
    before: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
    /** The policy this response violates. */
    policy: PolicyName.optional(),
    /** Body path naming the violated policy (HubSpot's `policyName`); wins over `policy` when present. */
    policy_path: BodyPath.optional(),
    /** Translates provider policy names (`TEN_SECONDLY_ROLLING`) to declared ones. */
    policy_map: z.record(z.string(), PolicyName).optional(),
  })
  .refine((d) => d.equals === undefined || d.body_path !== undefined, { message: 'equals needs body_path', path: ['equals'] });
export type ThrottleDetector = z.infer<typeof ThrottleDetector>;

/** Where the provider says when to retry. RFC 9110 `Retry-After` (seconds or HTTP-date) by default. */
export const RetryAfterSource = z.strictObject({
  header: HeaderName.default('retry-after'),
  /** A body value in seconds, used when the header is absent. */
  body_path: BodyPath.optional(),
});

/**
 * A provider definition's rate-limit declaration: how its headers, statuses and bodies map onto the IETF
 * draft-11 fields. A plain 429 counts as throttled even when no detector says so.
 */
export const RateLimitSignals = z
  .strictObject({
    policies: z.array(HeaderPolicy).default([]),
    compound: z.array(CompoundHeader).default([]),
    throttle: z.array(ThrottleDetector).default([]),
    retry_after: RetryAfterSource.default({ header: 'retry-after' }),
  })
  .refine((s) => new Set(s.policies.map((p) => p.name)).size === s.policies.length, {
    message: 'policy names must be unique',
    path: ['policies'],
  });
/** Parsed signals (defaults applied), as `normalizeRateLimit` takes them. */
export type RateLimitSignals = z.output<typeof RateLimitSignals>;
/** Signals as written in a provider definition. */
export type RateLimitSignalsInput = z.input<typeof RateLimitSignals>;
