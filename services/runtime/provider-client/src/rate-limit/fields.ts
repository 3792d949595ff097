import { parseList, serializeList, type BareItem, type Item, type List, type Parameters } from 'structured-headers';

/** One `RateLimit-Policy` member: a quota `q` per window `w` seconds. */
export interface RateLimitPolicy {
  name: string;
  /** Quota in quota units, ≥ 0. */
  q: number;
  /** Window in seconds, > 0. */
  w?: number;
  /** Quota unit; omitted means requests. */
  qu?: string;
  /** Partition key the quota is allocated to. */
  pk?: Uint8Array;
}

/** One `RateLimit` member: `r` units left, for `t` more seconds. */
export interface RateLimitCurrent {
  name: string;
  /** Remaining quota units, ≥ 0. */
  r: number;
  /** Seconds until the window resets (delay-seconds, never a timestamp). */
  t?: number;
  pk?: Uint8Array;
}

/** The largest Integer a Structured Field can carry (RFC 9651 §3.3.1). */
const MAX_SF_INTEGER = 999_999_999_999_999;

/** Clamps a count into what a Structured Field Integer can carry: whole, ≥ 0, at most 15 digits. */
export function sfInteger(value: number): number {
  return Math.min(MAX_SF_INTEGER, Math.max(0, Math.floor(value)));
}

/**
 * Makes a policy name serializable as a Structured Field String (printable ASCII). Names can come from
 * provider bodies at run time; replacing odd characters beats dropping the whole header.
 */
export function sfName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
  return ascii === '' ? 'default' : ascii;
}

function params(entries: Array<[string, BareItem | undefined]>): Parameters {
  return new Map(entries.filter((entry): entry is [string, BareItem] => entry[1] !== undefined));
}

/**
 * Serializes `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-11 §4): a List of Strings with
 * `q`, `qu`, `w`, `pk` parameters. Returns undefined for an empty list: an empty field is not sent.
 */
export function serializePolicies(policies: readonly RateLimitPolicy[], partitionKey?: Uint8Array): string | undefined {
  const list: List = policies.map((p): Item => [
    sfName(p.name),
    params([
      ['q', sfInteger(p.q)],
      ['qu', p.qu === undefined || p.qu === 'requests' ? undefined : sfName(p.qu)],
      ['w', p.w === undefined || p.w < 1 ? undefined : sfInteger(p.w)],
      ['pk', p.pk ?? partitionKey],
    ]),
  ]);
  return list.length === 0 ? undefined : serializeList(list);
}

/** Serializes `RateLimit` (draft-11 §5): a List of Strings with `r`, `t`, `pk` parameters. */
export function serializeCurrent(current: readonly RateLimitCurrent[], partitionKey?: Uint8Array): string | undefined {
  const list: List = current.map((c): Item => [
    sfName(c.name),
    params([
      ['r', sfInteger(c.r)],
      ['t', c.t === undefined ? undefined : sfInteger(Math.ceil(c.t))],
      ['pk', c.pk ?? partitionKey],
    ]),
  ]);
  return list.length === 0 ? undefined : serializeList(list);
}

/**
 * Parses a field as a Structured Field List. The draft says a malformed field is ignored as a whole, so
 * any parse error yields an empty list rather than a partial one.
 */
function items(field: string | undefined): Array<[string, Parameters]> {
  if (field === undefined || field.trim() === '') return [];
  let list: List;
  try {
    list = parseList(field);
  } catch {
    return [];
  }
  const out: Array<[string, Parameters]> = [];
  for (const member of list) {
    // Inner lists and non-String items are not policies; skip the member, keep the rest.
    if (Array.isArray(member[0]) || typeof member[0] !== 'string') continue;
    out.push([member[0], member[1]]);
  }
  return out;
}

function nonNegativeInt(value: BareItem | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function bytes(value: BareItem | undefined): Uint8Array | undefined {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
}

/**
 * Reads an upstream draft-11 `RateLimit-Policy`. A member without a valid `q` is ignored (it is
 * required); an invalid optional parameter is dropped; unknown parameters are ignored, as the draft says.
 */
export function parsePolicies(field: string | undefined): RateLimitPolicy[] {
  const out: RateLimitPolicy[] = [];
  for (const [name, p] of items(field)) {
    const q = nonNegativeInt(p.get('q'));
    if (q === undefined) continue;
    const policy: RateLimitPolicy = { name, q };
    const w = nonNegativeInt(p.get('w'));
    if (w !== undefined && w > 0) policy.w = w;
    const qu = p.get('qu');
    if (typeof qu === 'string') policy.qu = qu;
    const pk = bytes(p.get('pk'));
    if (pk) policy.pk = pk;
    out.push(policy);
  }
  return out;
}

/** Reads an upstream draft-11 `RateLimit`; a member without a valid `r` is ignored. */
export function parseCurrent(field: string | undefined): RateLimitCurrent[] {
  const out: RateLimitCurrent[] = [];
  for (const [name, p] of items(field)) {
    const r = nonNegativeInt(p.get('r'));
    if (r === undefined) continue;
    const current: RateLimitCurrent = { name, r };
    const t = nonNegativeInt(p.get('t'));
    if (t !== undefined) current.t = t;
    const pk = bytes(p.get('pk'));
    if (pk) current.pk = pk;
    out.push(current);
  }
  return out;
}
