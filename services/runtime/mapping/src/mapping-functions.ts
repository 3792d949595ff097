import type jsonata from 'jsonata';
import { fastIsoMs, isoStringOf, NOT_FAST } from './iso-instant.js';

/**
 * The function library every mapping can use, beside JSONata's built-ins. Each function is pure and
 * total: `null`, `undefined`, `''` and values it cannot read give `undefined`, which JSONata drops
 * from the object being built, so a field the provider left out (or sent as garbage) is simply absent
 * and the unified model decides whether that is acceptable. None of them throws on bad data: a
 * malformed phone number must not dead-letter a whole delivery.
 */

const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;

function isBlank(value: unknown): value is null | undefined | '' {
  return value === undefined || value === null || value === '';
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Arithmetic, not a Date round trip (this runs for every date of every event). Years below 100 are
// refused as before: `Date.UTC` would read them as 19xx.
function validDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 100 || !(month >= 1 && month <= 12) || !Number.isInteger(day) || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
// A date string outside the ISO and US forms is read only when it names its zone (RFC 1123's
// `GMT`, `UTC`, an offset): zone-less forms would be read in the host's time zone.
const ZONED = /(?:\b(?:GMT|UTC)|Z|[+-]\d{2}:?\d{2})$/i;

function epochMs(value: number): number {
  // Below 1e11 it is seconds (1e11 s is the year 5138; 1e11 ms is March 1973).
  return Math.abs(value) < 1e11 ? value * 1000 : value;
}

function utcMs(year: string, month: string, day: string, hour = '0', minute = '0', second = '0'): number | undefined {
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** Milliseconds since the epoch of an instant given in any of the forms {@link isoDateTime} reads. */
function parseInstant(value: unknown): number | undefined {
  if (isBlank(value)) return undefined;
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) ? epochMs(value) : undefined;
  else if (typeof value !== 'string') return undefined;
  else {
    const text = value.trim();
    // The one common shape first, without the regex (see iso-instant.ts); anything else below.
    const quick = fastIsoMs(text);
    if (quick !== NOT_FAST) return quick !== undefined && Number.isFinite(quick) && Math.abs(quick) <= MAX_DATE_MS ? quick : undefined;
    const numeric = /^-?\d+(\.\d+)?$/.test(text);
    const iso = numeric ? null : ISO.exec(text);
    const us = numeric || iso ? null : US.exec(text);
    if (numeric) ms = epochMs(Number(text));
    else if (iso) {
      const [, y, mo, d, h, mi, s, fraction, zone] = iso;
      const wall = utcMs(y!, mo!, d!, h, mi, s);
      const offset = zone === undefined || zone.toUpperCase() === 'Z' ? 0 : offsetMinutes(zone);
      ms = wall === undefined || offset === undefined ? undefined : wall + Math.round(Number(fraction ?? 0) * 1000) - offset * 60_000;
    } else if (us) {
      const [, mo, d, y, h, mi, s] = us;
      ms = utcMs(y!, mo!, d!, h, mi, s);
    } else if (ZONED.test(text)) {
      ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    }
  }
  return ms !== undefined && Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

function offsetMinutes(zone: string): number | undefined {
  const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) ?? [];
  if (sign === undefined) return undefined;
  const total = Number(hours) * 60 + Number(minutes ?? 0);
  return Number(hours) > 23 || Number(minutes ?? 0) > 59 ? undefined : sign === '-' ? -total : total;
}

const digits = (text: string, at: number, count: number) => {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/** Whether `text` is already what {@link isoDateTime} would return for it: a valid `YYYY-MM-DDTHH:MM:SS.sssZ`. */
function isCanonical(text: string): boolean {
  // Char codes, not a regex: normalize() asks this of every event's `occurred_at`.
  if (text.length !== 24 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58) return false;
  if (text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 || text.charCodeAt(23) !== 90 || digits(text, 20, 3) < 0) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  return year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0 && validDate(year, month, day) && hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * An instant as ISO 8601 UTC (`2026-01-31T18:42:00.000Z`). Reads epoch seconds or milliseconds
 * (numbers or digit strings; below 1e11 means seconds), ISO 8601 with `Z`, `+01:00`, `+0100` or
 * `+01`, a space instead of `T`, `MM/DD/YYYY[ HH:MM[:SS]]`, and RFC 1123 dates. A date-time without a
 * zone is read as UTC — never in the host's zone, so the same payload maps the same everywhere.
 */
export function isoDateTime(value: unknown): string | undefined {
  // Its own output comes back unchanged (normalize() reads the `occurred_at` mappings made with it).
  if (typeof value === 'string' && isCanonical(value)) return value;
  const ms = parseInstant(value);
  return ms === undefined ? undefined : isoStringOf(ms);
}

/**
 * A calendar date, `YYYY-MM-DD`. A written date keeps the day as written (`2026-01-31T23:30:00-05:00`
 * → `2026-01-31`, the provider's local date, which is what a start date or birthday means);
 * `MM/DD/YYYY` is reordered; an epoch number gives its UTC date.
 */
export function isoDate(value: unknown): string | undefined {
  if (parseInstant(value) === undefined) return undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    const iso = ISO.exec(text);
    if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
    const us = US.exec(text);
    if (us) return `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`;
  }
  const ms = parseInstant(value) as number;
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

function countryCode(value: unknown): string | undefined {
  if (isBlank(value)) return undefined;
  const code = String(value).trim().replace(/^(\+|00)/, '');
  return /^[1-9]\d{0,2}$/.test(code) ? code : undefined;
}

/**
 * A phone number cleaned towards E.164 (`+442079460000`). Strips spaces, dashes, dots, slashes,
 * parentheses, a `tel:` prefix, an extension (`x12`, `ext. 12`) and the UK-style `(0)`; `00` becomes
 * `+`. A national number gets `defaultCountryCode` (`44`, `+44` or 44) with its trunk `0` dropped
 * (kept for Italy, `39`; a leading `1` is dropped for NANP, `1`); without a default it comes back as
 * bare digits, never with a `+`, so it is not mistaken for E.164. Letters or a length outside E.164
 * (more than 15 digits) give undefined. "E.164-ish": no per-country numbering plan is checked.
 */
export function phone(value: unknown, defaultCountryCode?: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number') text = Number.isSafeInteger(value) && value > 0 ? String(value) : '';
  else if (typeof value === 'string') text = value;
  else return undefined;
  text = text
    .trim()
    .replace(/^tel:/i, '')
    .replace(/\s*(?:ext\.?|extension|x|#)\s*\d{1,6}$/i, '')
    .replace(/\(0\)/g, '')
    .replace(/[\s\-().\/\u00a0]/g, '');
  const international = /^(\+|00)/.exec(text);
  const digits = international ? text.slice(international[0].length) : text;
  if (!/^\d+$/.test(digits)) return undefined;
  if (international) return digits.length >= 7 && digits.length <= 15 && !digits.startsWith('0') ? `+${digits}` : undefined;
  const code = countryCode(defaultCountryCode);
  if (code === undefined) return digits.length >= 4 && digits.length <= 15 ? digits : undefined;
  let national = digits;
  if (code === '1' && national.length === 11 && national.startsWith('1')) national = national.slice(1);
  else if (code !== '39' && national.startsWith('0')) national = national.slice(1);
  const full = code + national;
  return national.length >= 4 && full.length <= 15 ? `+${full}` : undefined;
}

// Deliberately loose (no quoted local parts, no IP literals): it filters garbage, it does not
// certify deliverability. Unicode letters are allowed for internationalized addresses.
const EMAIL = /^[^\s@<>()[\],;:"\\]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,}$/u;

/**
 * An email address trimmed and lower-cased; `Name <a@b.example>` and `mailto:` forms are unwrapped.
 * Undefined when it is not the shape of an address. Lower-casing the local part is technically
 * lossy (RFC 5321) but every provider here treats addresses case-insensitively, and dedupe needs it.
 */
export function email(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.trim();
  const angle = /<([^<>]*)>$/.exec(text);
  if (angle) text = angle[1]!.trim();
  text = text.replace(/^mailto:/i, '').toLowerCase();
  if (text.length > 254 || !EMAIL.test(text)) return undefined;
  const local = text.slice(0, text.lastIndexOf('@'));
  return local.length <= 64 && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..') ? text : undefined;
}

/**
 * Maps a provider value onto a unified enum value: exact key first, then keys compared trimmed and
 * case-insensitively (`"Active"`, `"ACTIVE"`, `" active "` all hit `{"active": …}`). A value with
 * no entry gives `fallback`; a missing value (`null`, `undefined`, `''`) gives undefined, not the
 * fallback: an absent field stays absent. A `map` that is not an object (say `$config` found none)
 * behaves as an empty map.
 */
export function enumValue(value: unknown, map: unknown, fallback?: unknown): unknown {
  if (isBlank(value)) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return fallback;
  const entries: Record<string, unknown> = map !== null && typeof map === 'object' && !Array.isArray(map) ? (map as Record<string, unknown>) : {};
  const key = String(value);
  if (Object.hasOwn(entries, key)) return entries[key];
  const wanted = key.trim().toLowerCase();
  for (const [candidate, mapped] of Object.entries(entries)) if (candidate.trim().toLowerCase() === wanted) return mapped;
  return fallback;
}

function decimal(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (typeof value === 'string') text = value.trim();
  else return undefined;
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) text = text.replace(/,/g, '');
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && !match[3])) return undefined;
  const whole = match[2]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = match[3] ? `.${match[3]}` : '';
  const sign = match[1] === '-' && /[1-9]/.test(whole + fraction) ? '-' : '';
  return `${sign}${whole}${fraction}`;
}

/** The result of {@link money}: see the unified `Money` model. */
export interface MoneyValue {
  amount: string;
  currency?: string;
}

/**
 * Money as the unified models publish it: `{amount: "1234.50", currency: "EUR"}`. The amount may be a
 * number or a decimal string (grouping commas such as `1,234.50` are accepted; exponents are not);
 * it stays a string so no binary floating point rounding creeps in. The currency is upper-cased and
 * left out when it is not a three-letter code. Undefined when the amount is missing or not a number.
 */
export function money(amount: unknown, currency?: unknown): MoneyValue | undefined {
  const value = decimal(amount);
  if (value === undefined) return undefined;
  const code = typeof currency === 'string' ? currency.trim().toUpperCase() : undefined;
  return code !== undefined && /^[A-Z]{3}$/.test(code) ? { amount: value, currency: code } : { amount: value };
}

/**
 * A value from an account's config by dotted path (`"hubspot.pipeline"`, `"status_map"`); undefined
 * when any step is missing. Only own properties are followed.
 */
export function configValue(config: unknown, path: unknown): unknown {
  if (typeof path !== 'string' || path === '') return undefined;
  let node = config;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Options for {@link registerMappingFunctions}. */
export interface MappingFunctionContext {
  /**
   * A fixed config for `$config`, for an expression built for one account only (a test, a preview).
   * Leave it out for shared expressions: they read the config of each evaluation instead.
   */
  config?: Record<string, unknown>;
}

/**
 * Registers the library on a compiled expression, as JSONata functions with signatures:
 *
 * | function | signature | |
 * |---|---|---|
 * | `$isoDate(value)` | `<j?:s>` | {@link isoDate} |
 * | `$isoDateTime(value)` | `<j?:s>` | {@link isoDateTime} |
 * | `$phone(value, defaultCountryCode?)` | `<j?j?:s>` | {@link phone} |
 * | `$email(value)` | `<j?:s>` | {@link email} |
 * | `$enum(value, map, default?)` | `<j?j?j?:j>` | {@link enumValue} |
 * | `$money(amount, currency?)` | `<j?j?:o>` | {@link money} |
 * | `$config(path, default?)` | `<sj?:j>` | {@link configValue}; `default` when undefined or null |
 *
 * `$config` reads the evaluation's own input, `account.config` of `{payload, headers, account,
 * received_at}` (the root, `$$`, however deep the call), unless `context.config` fixes one. Nothing
 * account-specific may be closed over here otherwise: the engine caches one compiled expression per
 * text and shares it between accounts.
 */
export function registerMappingFunctions(expression: jsonata.Expression, context: MappingFunctionContext = {}): void {
  expression.registerFunction('isoDate', (value: unknown) => isoDate(value), '<j?:s>');
  expression.registerFunction('isoDateTime', (value: unknown) => isoDateTime(value), '<j?:s>');
  expression.registerFunction('phone', (value: unknown, code?: unknown) => phone(value, code), '<j?j?:s>');
  expression.registerFunction('email', (value: unknown) => email(value), '<j?:s>');
  expression.registerFunction('enum', (value: unknown, map: unknown, fallback?: unknown) => enumValue(value, map, fallback), '<j?j?j?:j>');
  expression.registerFunction('money', (amount: unknown, currency?: unknown) => money(amount, currency), '<j?j?:o>');
  expression.registerFunction(
    'config',
    function (this: jsonata.Focus, path: unknown, fallback?: unknown) {
      const config = context.config ?? configValue(this.environment.lookup('$'), 'account.config');
      return configValue(config, path) ?? fallback;
    },
    '<sj?:j>',
  );
}
