import type { TimestampRule } from '@switchyard/contracts';
import type { z } from 'zod';
import type { InboundRequest, VerifyResult } from './inbound.js';

/**
 * Checks a provider timestamp against our clock, in both directions: too old is a replay, too new is
 * a forged or badly skewed sender. `nowMs` is passed in so tests control the clock.
 */
export function checkTimestamp(rule: z.output<typeof TimestampRule>, request: InboundRequest, nowMs: number): VerifyResult {
  const raw = request.headers[rule.header];
  if (raw === undefined || raw.trim() === '') {
    return { ok: false, code: 'SWY_ERR_TIMESTAMP_MISSING', detail: `header ${rule.header} is missing` };
  }
  if (!/^\d{1,16}$/.test(raw.trim())) {
    return { ok: false, code: 'SWY_ERR_TIMESTAMP_INVALID', detail: `header ${rule.header} is not an integer` };
  }
  const ms = Number(raw.trim()) * (rule.unit === 's' ? 1000 : 1);
  const skewS = Math.round((nowMs - ms) / 1000);
  if (Math.abs(nowMs - ms) > rule.tolerance_s * 1000) {
    const direction = skewS > 0 ? `${skewS} s old` : `${-skewS} s in the future`;
    return { ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW', detail: `timestamp is ${direction}; tolerance is ${rule.tolerance_s} s` };
  }
  return { ok: true };
}
