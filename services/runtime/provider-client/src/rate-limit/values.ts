import type { ResetFormat } from '@switchyard/contracts';

/** Response headers as Node, undici or fetch give them. */
export type HeaderInput = Headers | Readonly<Record<string, string | readonly string[] | number | undefined>>;

/**
 * A case-insensitive header reader. Repeated headers are joined with `, `, which is right for Structured
 * Field Lists split over several lines and makes a repeated single number malformed (so it is ignored).
 */
export function headerReader(headers: HeaderInput): (name: string) => string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    const h = headers as Headers;
    return (name) => h.get(name) ?? undefined;
  }
  const lower = new Map<string, string>();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | number | undefined>)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    const name = key.toLowerCase();
    const previous = lower.get(name);
    lower.set(name, previous === undefined ? text : `${previous}, ${text}`);
  }
  return (name) => lower.get(name.toLowerCase());
}

/**
 * A non-negative decimal number, or undefined. Strict on purpose: `parseFloat('12abc')` would turn a
 * garbled header into a believable quota.
 */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d{1,20}(\.\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** Seconds until `atMs`, rounded up so a client never retries early; never negative. */
function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((atMs - nowMs) / 1000));
}

/** RFC 9110 IMF-fixdate (and the obsolete forms Date.parse also reads); not a bare number. */
function parseDate(text: string): number | undefined {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Converts a reset header to delay-seconds (`t`) according to the declared format. */
export function resetSeconds(text: string | undefined, format: ResetFormat, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  switch (format) {
    case 'delay-seconds': {
      const v = parseNumber(text);
      return v === undefined ? undefined : Math.ceil(v);
    }
    case 'delay-ms': {
      const v = parseNumber(text);
      return v === undefined ? undefined : Math.ceil(v / 1000);
    }
    case 'epoch-seconds': {
      const v = parseNumber(text);
      return v === undefined ? undefined : secondsUntil(v * 1000, nowMs);
    }
    case 'epoch-ms': {
      const v = parseNumber(text);
      return v === undefined ? undefined : secondsUntil(v, nowMs);
    }
    case 'http-date':
    case 'iso-8601': {
      const ms = parseDate(text);
      return ms === undefined ? undefined : secondsUntil(ms, nowMs);
    }
  }
}

/** RFC 9110 `Retry-After`: delay-seconds or an HTTP-date, as seconds from now. */
export function retryAfterSeconds(text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text.trim());
  const ms = parseDate(text);
  return ms === undefined ? undefined : secondsUntil(ms, nowMs);
}

/**
 * Salesforce `Sforce-Limit-Info`: comma-separated `key=used/limit`, optionally followed by
 * `(appName=…)`. Entries that do not parse are skipped; `remaining` is never negative (Salesforce lets
 * usage run slightly past the allowance).
 */
export function parseSforceLimitInfo(text: string | undefined): Array<{ name: string; limit: number; remaining: number }> {
  if (text === undefined) return [];
  const out: Array<{ name: string; limit: number; remaining: number }> = [];
  for (const entry of text.split(',')) {
    const match = /^\s*([A-Za-z0-9_-]+)=(\d{1,15})\/(\d{1,15})\s*(\([^)]*\))?\s*$/.exec(entry);
    if (!match) continue;
    const used = Number(match[2]);
    const limit = Number(match[3]);
    out.push({ name: match[1] as string, limit, remaining: Math.max(0, limit - used) });
  }
  return out;
}
