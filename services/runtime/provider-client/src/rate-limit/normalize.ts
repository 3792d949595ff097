import { parseCurrent, parsePolicies, sfName, type RateLimitCurrent, type RateLimitPolicy } from './fields.js';
import type { HeaderPolicy, RateLimitSignals, ThrottleDetector } from '@switchyard/contracts';
import {
  headerReader,
  parseNumber,
  parseSforceLimitInfo,
  resetSeconds,
  retryAfterSeconds,
  type HeaderInput,
} from './values.js';
import { jsonOf, valueAt } from '@switchyard/kernel';

/** A provider response, as far as rate limits are concerned. */
export interface ProviderResponse {
  status: number;
  headers: HeaderInput;
  /** Parsed JSON, or its text / bytes; only read to match throttle detectors. */
  body?: unknown;
}

/** A provider response's rate-limit state in the IETF draft-11 vocabulary. */
export interface NormalizedRateLimit {
  /** The provider refused the call for quota reasons; the hub answers 429 and does not retry. */
  throttled: boolean;
  /** `RateLimit-Policy` members. */
  policies: RateLimitPolicy[];
  /** `RateLimit` members. */
  current: RateLimitCurrent[];
  /** Names of the policies the throttled call violated (empty unless `throttled`). */
  violated: string[];
  /** Seconds the caller should wait, from the provider's `Retry-After` or the violated window. */
  retryAfterS?: number;
}

/** The policy a header-mapped declaration yields, each field read independently. */
function fromHeaders(p: HeaderPolicy, header: (name: string) => string | undefined, nowMs: number) {
  const q = (p.limit_header ? parseNumber(header(p.limit_header)) : undefined) ?? p.limit;
  const rawWindow = p.window_header ? parseNumber(header(p.window_header)) : undefined;
  const headerWindow = rawWindow === undefined ? undefined : Math.ceil(p.window_unit === 'ms' ? rawWindow / 1000 : rawWindow);
  const w = headerWindow !== undefined && headerWindow > 0 ? headerWindow : p.window_s;
  const r = p.remaining_header ? parseNumber(header(p.remaining_header)) : undefined;
  const t = p.reset_header ? resetSeconds(header(p.reset_header), p.reset_format, nowMs) : undefined;

  const policy: RateLimitPolicy | undefined = q === undefined ? undefined : { name: p.name, q: Math.floor(q) };
  if (policy && w !== undefined) policy.w = w;
  if (policy && p.quota_unit) policy.qu = p.quota_unit;
  // `r` is required by the draft: a reset without a remaining count says nothing usable.
  const current: RateLimitCurrent | undefined = r === undefined ? undefined : { name: p.name, r: Math.floor(r) };
  if (current && t !== undefined) current.t = t;
  return { policy, current };
}

function detectorMatches(d: ThrottleDetector, status: number, body: () => unknown, nowMs: number): boolean {
  const statuses = typeof d.status === 'number' ? [d.status] : d.status;
  if (!statuses.includes(status)) return false;
  if (d.before !== undefined && nowMs >= Date.parse(d.before)) return false;
  if (d.body_path === undefined) return true;
  const value = valueAt(body(), d.body_path);
  return d.equals === undefined ? value !== undefined && value !== null : value === d.equals;
}

/** The violated policies: named by the body, the detector, exhausted counters, or the sole declaration. */
function violatedBy(d: ThrottleDetector | undefined, body: () => unknown, current: RateLimitCurrent[], policies: RateLimitPolicy[]): string[] {
  if (d?.policy_path !== undefined) {
    const named = valueAt(body(), d.policy_path);
    if (typeof named === 'string' && named !== '') return [sfName(d.policy_map?.[named] ?? named)];
  }
  if (d?.policy !== undefined) return [d.policy];
  const exhausted = current.filter((c) => c.r === 0).map((c) => c.name);
  if (exhausted.length > 0) return exhausted;
  const known = policies[0]?.name ?? current[0]?.name;
  return [known ?? 'default'];
}

/**
 * Reads a provider response's rate-limit signals as the provider definition declares them and maps them
 * onto draft-11 policies. Never throws on what the provider sent: a missing or malformed header drops
 * that one field. A throttled call marks its violated policies `r=0` and gets a `retryAfterS` when the
 * provider or the window says one.
 *
 * @param nowMs the response's arrival time, to turn reset timestamps into delay-seconds.
 */
export function normalizeRateLimit(signals: RateLimitSignals, response: ProviderResponse, nowMs: number = Date.now()): NormalizedRateLimit {
  const header = headerReader(response.headers);
  let parsedBody: { value: unknown } | undefined;
  // Parsed once, and only when a detector needs it: most responses are 2xx and never touch the body.
  const body = () => (parsedBody ??= { value: jsonOf(response.body) }).value;

  const policies: RateLimitPolicy[] = [];
  const current: RateLimitCurrent[] = [];
  // The first source to name a policy wins; later duplicates would only contradict it.
  const addPolicy = (p: RateLimitPolicy) => {
    if (!policies.some((x) => x.name === p.name)) policies.push(p);
  };
  const addCurrent = (c: RateLimitCurrent) => {
    if (!current.some((x) => x.name === c.name)) current.push(c);
  };

  for (const declared of signals.policies) {
    const { policy, current: now } = fromHeaders(declared, header, nowMs);
    if (policy) addPolicy(policy);
    if (now) addCurrent(now);
  }
  for (const compound of signals.compound) {
    if (compound.parser === 'sforce-limit-info') {
      for (const entry of parseSforceLimitInfo(header(compound.header))) {
        addPolicy(compound.window_s === undefined ? { name: entry.name, q: entry.limit } : { name: entry.name, q: entry.limit, w: compound.window_s });
        addCurrent({ name: entry.name, r: entry.remaining });
      }
    } else {
      parsePolicies(header('ratelimit-policy')).forEach(addPolicy);
      parseCurrent(header('ratelimit')).forEach(addCurrent);
    }
  }

  const detector = signals.throttle.find((d) => detectorMatches(d, response.status, body, nowMs));
  // 429 means "Too Many Requests" whatever the definition says; it is never absorbed.
  const throttled = detector !== undefined || response.status === 429;

  let retryAfterS = retryAfterSeconds(header(signals.retry_after.header), nowMs);
  if (retryAfterS === undefined && signals.retry_after.body_path !== undefined && response.status >= 400) {
    const value = valueAt(body(), signals.retry_after.body_path);
    const seconds = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : undefined;
    if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) retryAfterS = Math.ceil(seconds);
  }

  const result: NormalizedRateLimit = { throttled, policies, current, violated: [] };
  if (throttled) {
    result.violated = violatedBy(detector, body, current, policies);
    if (retryAfterS === undefined) {
      const windows = current.filter((c) => result.violated.includes(c.name) && c.t !== undefined).map((c) => c.t as number);
      if (windows.length > 0) retryAfterS = Math.max(...windows);
    }
    for (const name of result.violated) {
      const entry = current.find((c) => c.name === name);
      // Retry-After wins over `t`, and the quota cannot come back before it (draft-11 §5).
      const t = Math.max(entry?.t ?? 0, retryAfterS ?? 0);
      if (entry) {
        entry.r = 0;
        if (retryAfterS !== undefined || entry.t !== undefined) entry.t = t;
      } else {
        current.push(retryAfterS === undefined ? { name, r: 0 } : { name, r: 0, t });
      }
    }
  }
  if (retryAfterS !== undefined) result.retryAfterS = retryAfterS;
  return result;
}
