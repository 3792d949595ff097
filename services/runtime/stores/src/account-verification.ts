import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountRecord, AccountStore } from './accounts.js';

/** A capture or confirm outcome; failures carry the registry code the caller answers with. */
export type VerificationResult =
  | { ok: true; record: AccountRecord }
  | { ok: false; code: 'SWY_ERR_CAPTURE_CLOSED' | 'SWY_ERR_CAPTURE_CONFLICT' | 'SWY_ERR_CAPTURE_MISMATCH'; detail: string };

/** Constant-time equality of two tokens of any length (digests compared, so lengths do not leak). */
function sameToken(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether the account's verification window is open at `nowMs`. */
export function verificationOpen(record: AccountRecord, nowMs = Date.now()): boolean {
  const until = record.verification?.open_until;
  return until !== null && until !== undefined && Date.parse(until) > nowMs;
}

/** Opens (or reopens) the capture window for `minutes`, dropping any pending token: a fresh start. */
export async function openVerification(accounts: AccountStore, record: AccountRecord, minutes: number, nowMs = Date.now()): Promise<AccountRecord> {
  return accounts.update(record, { verification: { open_until: new Date(nowMs + minutes * 60_000).toISOString(), pending: null } });
}

/**
 * Keeps a token the provider POSTed as pending — only inside an open window, and never replacing a
 * different pending one (a retry of the same token is fine). Nothing here makes it a webhook secret.
 * The checks run against the account as stored, inside the compare-and-set: of two different tokens
 * arriving at once (two edge replicas), one is kept and the other is a conflict.
 */
export async function capturePending(accounts: AccountStore, record: AccountRecord, token: string, nowMs = Date.now()): Promise<VerificationResult> {
  const outcome = await accounts.updateIf<VerificationResult>(record, (current) => {
    if (!verificationOpen(current, nowMs)) return { refused: { ok: false, code: 'SWY_ERR_CAPTURE_CLOSED', detail: `account '${current.id}' has no open verification window` } };
    const pending = accounts.pendingSecret(current);
    if (pending !== undefined) {
      return {
        refused: sameToken(pending, token) ? { ok: true, record: current } : { ok: false, code: 'SWY_ERR_CAPTURE_CONFLICT', detail: `account '${current.id}' already has a different token pending` },
      };
    }
    return { changes: { verification: { open_until: current.verification?.open_until ?? null, pending: token } } };
  });
  return 'refused' in outcome ? outcome.refused : { ok: true, record: outcome.record };
}

/**
 * Promotes the pending token to the account's webhook secret when the customer presents the same value
 * (seen at the provider), and closes the window. A wrong value changes nothing. Checked against the
 * account as stored, like {@link capturePending}.
 */
export async function confirmPending(accounts: AccountStore, record: AccountRecord, token: string): Promise<VerificationResult> {
  const outcome = await accounts.updateIf<VerificationResult>(record, (current) => {
    const pending = accounts.pendingSecret(current);
    if (pending === undefined || !sameToken(pending, token)) {
      return { refused: { ok: false, code: 'SWY_ERR_CAPTURE_MISMATCH', detail: `the token is not the one pending for account '${current.id}'` } };
    }
    return { changes: { webhook_secrets: [pending], verification: { open_until: null, pending: null } } };
  });
  return 'refused' in outcome ? outcome.refused : { ok: true, record: outcome.record };
}
