import type { TimestampRule } from '@switchyard/contracts';
import type { z } from 'zod';
import { jsonOf, valueAt } from '@switchyard/kernel';
import { header, refuse, type InboundRequest, type VerifyResult } from './inbound.js';

type Rule = z.output<typeof TimestampRule>;

/** Where the rule reads from, for messages. */
function source(rule: Rule): string {
  if (rule.header !== undefined) return `header ${rule.header}`;
  if (rule.param !== undefined) return `signature entry ${rule.param}`;
  return `body field ${rule.field}`;
}

/**
 * Judges a timestamp against our clock, in both directions: too old is a replay, too new is a forged or
 * badly skewed sender. Accepts an integer or a string of digits in the declared unit.
 */
function judge(rule: Rule, raw: unknown, nowMs: number): VerifyResult {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return refuse('SWY_ERR_TIMESTAMP_MISSING', `${source(rule)} is missing`);
  }
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d{1,16}$/.test(text)) return refuse('SWY_ERR_TIMESTAMP_INVALID', `${source(rule)} is not an integer`);
  const ms = Number(text) * (rule.unit === 's' ? 1000 : 1);
  if (Math.abs(nowMs - ms) > rule.tolerance_s * 1000) {
    const skewS = Math.round((nowMs - ms) / 1000);
    const direction = skewS > 0 ? `${skewS} s old` : `${-skewS} s in the future`;
    return refuse('SWY_ERR_TIMESTAMP_SKEW', `timestamp is ${direction}; tolerance is ${rule.tolerance_s} s`);
  }
  return { ok: true };
}

/**
 * Checks a timestamp carried outside the body (a header or a signature-header entry); cheap, so it runs
 * before any MAC is computed. Rules reading a body field pass here and are judged by
 * {@link checkBodyTimestamp} once the signature matched.
 */
export function checkTimestamp(rule: Rule, request: InboundRequest, params: ReadonlyMap<string, string>, nowMs: number): VerifyResult {
  if (rule.header !== undefined) return judge(rule, header(request, rule.header), nowMs);
  if (rule.param !== undefined) return judge(rule, params.get(rule.param), nowMs);
  return { ok: true };
}

/**
 * Checks a timestamp read from the JSON body. Call only after the signature matched: the bytes parsed
 * here are then the provider's, never an attacker's.
 */
export function checkBodyTimestamp(rule: Rule, body: Buffer, nowMs: number): VerifyResult {
  if (rule.field === undefined) return { ok: true };
  return judge(rule, valueAt(jsonOf(body), rule.field), nowMs);
}
