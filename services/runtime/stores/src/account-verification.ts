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
 */
export async function capturePending(accounts: AccountStore, record: AccountRecord, token: string, nowMs = Date.now()): Promise<VerificationResult> {
  if (!verificationOpen(record, nowMs)) return { ok: false, code: 'SWY_ERR_CAPTURE_CLOSED', detail: `account '${record.id}' has no open verification window` };
  const pending = accounts.pendingSecret(record);
  if (pending !== undefined) {
    return sameToken(pending, token)
      ? { ok: true, record }
      : { ok: false, code: 'SWY_ERR_CAPTURE_CONFLICT', detail: `account '${record.id}' already has a different token pending` };
  }
  const open_until = record.verification?.open_until ?? null;
  return { ok: true, record: await accounts.update(record, { verification: { open_until, pending: token } }) };
}

/**
 * Promotes the pending token to the account's webhook secret when the customer presents the same value
 * (seen at the provider), and closes the window. A wrong value changes nothing.
 */
export async function confirmPending(accounts: AccountStore, record: AccountRecord, token: string): Promise<VerificationResult> {
  const pending = accounts.pendingSecret(record);
  if (pending === undefined || !sameToken(pending, token)) {
    return { ok: false, code: 'SWY_ERR_CAPTURE_MISMATCH', detail: `the token is not the one pending for account '${record.id}'` };
  }
  return { ok: true, record: await accounts.update(record, { webhook_secrets: [pending], verification: { open_until: null, pending: null } }) };
}
