/**
 * The common shape of a provider timestamp — `YYYY-MM-DD[T ]HH:MM:SS[.fff…][Z|±HH|±HHMM|±HH:MM]` —
 * read with char codes instead of the general ISO regex, which with its captures and `Number()`
 * calls cost most of a microsecond per date (every event carries one or more). It returns
 * {@link NOT_FAST} for anything else (a missing seconds field, a space before the zone, a date
 * alone, …): the caller then takes the general path, so this never decides what the general path
 * would not. The arithmetic is the general path's, step for step, so the instant is the same.
 */

/** Returned when the text is not in the one form read here. */
export const NOT_FAST: unique symbol = Symbol('notFast');

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The 0–9 value of the char at `at`, or -1. */
function digit(text: string, at: number): number {
  const c = text.charCodeAt(at) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** `count` digits from `at` as a number, or -1 when any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = digit(text, i);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The general path's `validDate` (years below 100 refused; `Date.UTC` would read them as 19xx). */
function validDate(year: number, month: number, day: number): boolean {
  if (year < 100 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!);
}

/**
 * Milliseconds since the epoch of `text` (already trimmed) when it has the form above: a number,
 * `undefined` when it has the form but is no valid instant (the general path says the same), or
 * {@link NOT_FAST}.
 */
export function fastIsoMs(text: string): number | undefined | typeof NOT_FAST {
  const length = text.length;
  if (length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NOT_FAST;
  const t = text.charCodeAt(10);
  if (t !== 84 && t !== 116 && t !== 32) return NOT_FAST; // T, t (the general regex is case-insensitive), space
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NOT_FAST;
  let at = 19;
  let fraction = 0;
  if (text.charCodeAt(at) === 46) {
    const start = at;
    at++;
    while (at < length && digit(text, at) >= 0) at++;
    if (at === start + 1) return NOT_FAST;
    // Exactly the general path's `Number(fraction)`, so rounding is the same.
    fraction = Number(text.slice(start, at));
  }
  let offset = 0;
  if (at < length) {
    const z = text.charCodeAt(at);
    if (z === 90 || z === 122) {
      if (at + 1 !== length) return NOT_FAST;
    } else if (z === 43 || z === 45) {
      const hours = digits(text, at + 1, 2);
      if (hours < 0) return NOT_FAST;
      let minutes = 0;
      const rest = length - (at + 3);
      if (rest === 2) minutes = digits(text, at + 3, 2);
      else if (rest === 3 && text.charCodeAt(at + 3) === 58) minutes = digits(text, at + 4, 2);
      else if (rest !== 0) return NOT_FAST;
      if (minutes < 0) return NOT_FAST;
      if (hours > 23 || minutes > 59) return undefined;
      offset = z === 45 ? -(hours * 60 + minutes) : hours * 60 + minutes;
    } else return NOT_FAST;
  }
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(fraction * 1000) - offset * 60_000;
}

const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years `toISOString` writes with four digits. */
const FOUR_DIGIT_YEARS = [-62_167_219_200_000, 253_402_300_799_999] as const;
const TWO = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/**
 * `new Date(ms).toISOString()`, without the Date: that call alone cost ~0.45 µs, more than reading
 * the timestamp. Civil date from the day number (H. Hinnant's `civil_from_days`); anything outside
 * four-digit years or not a whole millisecond goes to `toISOString` itself.
 */
export function isoStringOf(ms: number): string {
  if (!Number.isInteger(ms) || ms < FOUR_DIGIT_YEARS[0] || ms > FOUR_DIGIT_YEARS[1]) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  const time = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(time / 3_600_000);
  const minute = Math.floor(time / 60_000) % 60;
  const second = Math.floor(time / 1000) % 60;
  const milli = time % 1000;
  return `${TWO[Math.floor(year / 100)]}${TWO[year % 100]}-${TWO[month]}-${TWO[day]}T${TWO[hour]}:${TWO[minute]}:${TWO[second]}.${milli < 100 ? '0' : ''}${milli < 10 ? '0' : ''}${milli}Z`;
}
