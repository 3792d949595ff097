import { randomBytes } from 'node:crypto';
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { cursorKey, openCursor, sealCursor, type CursorBinding } from './index.js';

const material = randomBytes(32).toString('base64');
const key = cursorKey(material);
const binding: CursorBinding = { accountId: 'acc_01HZX', resource: 'crm/contacts' };
const state = { nextRecordsUrl: '/services/data/v59.0/query/01gD0000002HU6KIAW-2000', page: 2 };

const reasonOf = async (token: string, b: CursorBinding = binding) => {
  const opened = await openCursor(token, b, key);
  return opened.ok ? 'opened' : opened.error.reason;
};

describe('sealed pagination cursor (compact JWE, dir + A256GCM, by jose)', () => {
  it('round-trips any JSON state as a compact JWE that names only the algorithm and the key id', async () => {
    for (const value of [state, null, 0, 'naïve ☃', [1, { a: true }]]) {
      const token = await sealCursor(value, binding, key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(await openCursor(token, binding, key)).toEqual({ ok: true, state: value });
    }
    const header = decodeProtectedHeader(await sealCursor(state, binding, key));
    expect(Object.keys(header).sort()).toEqual(['alg', 'enc', 'kid']);
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
  });

  it('hides the state and the binding: nothing of either is readable in the token', async () => {
    const token = await sealCursor(state, binding, key);
    const readable = token.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1')).join(' ');
    for (const secret of ['services/data', binding.accountId, 'crm/contacts']) expect(readable).not.toContain(secret);
    expect(await sealCursor(state, binding, key)).not.toBe(token);
  });

  it('refuses every single-character change of the token', async () => {
    const token = await sealCursor({ o: 200 }, binding, key);
    const alphabet = 'AZaz09-_.';
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        expect(await reasonOf(changed), `char ${i} → ${c}`).not.toBe('opened');
      }
    }
  });

  it('refuses truncated, extended and junk tokens as values, never by throwing', async () => {
    const token = await sealCursor(state, binding, key);
    for (let n = 0; n < token.length; n += 3) expect(await reasonOf(token.slice(0, n))).not.toBe('opened');
    expect(await reasonOf(`${token}A`)).not.toBe('opened');
    expect(await reasonOf(`${token}==`)).toBe('malformed');
    expect(await reasonOf('not a cursor!')).toBe('malformed');
    expect(await reasonOf('A'.repeat(10_000))).toBe('malformed');
    expect(await reasonOf('e30.e30.e30.e30.e30')).toBe('malformed');
  });

  it("refuses another account's cursor", async () => {
    const token = await sealCursor(state, binding, key);
    expect(await openCursor(token, { ...binding, accountId: 'acc_OTHER' }, key)).toEqual({
      ok: false,
      error: { code: 'SWY_ERR_CURSOR_INVALID', status: 400, reason: 'forged', detail: expect.any(String) },
    });
  });

  it("refuses another resource's cursor, and binding fields cannot be shifted into each other", async () => {
    const token = await sealCursor(state, binding, key);
    expect(await reasonOf(token, { ...binding, resource: 'crm/accounts' })).toBe('forged');
    const shifted = await sealCursor(state, { accountId: 'a', resource: 'bc' }, key);
    expect(await reasonOf(shifted, { accountId: 'ab', resource: 'c' })).toBe('forged');
  });

  it('refuses a JWE sealed with another key under our key id, or with another algorithm', async () => {
    const token = await sealCursor(state, binding, key);
    const kid = decodeProtectedHeader(token).kid as string;
    const payload = Buffer.from(JSON.stringify({ s: state, a: binding.accountId, r: binding.resource }));
    const foreign = await new CompactEncrypt(payload).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid }).encrypt(randomBytes(32));
    expect(await reasonOf(foreign)).toBe('forged');
    const otherEnc = await new CompactEncrypt(payload).setProtectedHeader({ alg: 'dir', enc: 'A128GCM', kid }).encrypt(randomBytes(16));
    expect(await reasonOf(otherEnc)).toBe('malformed');
    await expect(compactDecrypt(token, randomBytes(32))).rejects.toThrow();
  });

  it('refuses a cursor sealed under another key; opens old cursors after a rotation', async () => {
    const oldKey = randomBytes(32);
    const old = await sealCursor(state, binding, cursorKey(oldKey));
    expect(await reasonOf(old)).toBe('forged');
    const rotated = cursorKey(`${randomBytes(32).toString('base64')},${oldKey.toString('base64')}`);
    expect(await openCursor(old, binding, rotated)).toEqual({ ok: true, state });
  });

  it('expires after its TTL when one is given', async () => {
    const nowMs = Date.parse('2026-06-01T12:00:00Z');
    const token = await sealCursor(state, binding, key, { ttlS: 3600, nowMs });
    expect((await openCursor(token, binding, key, { nowMs: nowMs + 3_599_000 })).ok).toBe(true);
    const late = await openCursor(token, binding, key, { nowMs: nowMs + 3_600_000 });
    expect(late.ok || late.error.reason).toBe('expired');
  });

  it('keeps key bytes out of sight and refuses short keys', async () => {
    expect(JSON.stringify(key)).toBe('{"kind":"cursor-key"}');
    expect(() => cursorKey(new Uint8Array(16))).toThrow();
    await expect(openCursor('x', binding, { kind: 'cursor-key' })).rejects.toThrow(/cursorKey/);
  });
});

describe('cursors sealed by the hand-assembled format before jose (still opened after the upgrade)', () => {
  // Sealed by the previous release's sealCursor with the key below, for acc_legacy / crm/contacts.
  const legacyKey = cursorKey(Buffer.alloc(32, 7));
  const legacyBinding = { accountId: 'acc_legacy', resource: 'crm/contacts' };
  const LEGACY = 'AVhnSH8PjqTPcw2Vibk0lUfg-1uPCXkJgLlF9beRTmXtyN87QF2dvvG7XaOR0qOZuXv9ornaIA';
  // The same with a 60 s TTL, sealed at 2026-01-01T00:00:00Z.
  const LEGACY_TTL = 'AchXg5Epkp3uZPPHvOAH2H6-a6LvcaZNpJ_cF20VsAPBCZXVrJyuyt6MThO025QE4DHfwg';

  it('opens a cursor a customer holds from before the upgrade, with its state', async () => {
    expect(await openCursor(LEGACY, legacyBinding, legacyKey)).toEqual({ ok: true, state: { page: 3, after: 'abc' } });
  });

  it('keeps its binding, its tag check and its expiry', async () => {
    expect(await openCursor(LEGACY, { ...legacyBinding, accountId: 'acc_other' }, legacyKey)).toMatchObject({ ok: false, error: { reason: 'forged' } });
    const changed = `${LEGACY.slice(0, 20)}${LEGACY[20] === 'A' ? 'B' : 'A'}${LEGACY.slice(21)}`;
    expect(await openCursor(changed, legacyBinding, legacyKey)).toMatchObject({ ok: false, error: { reason: 'forged' } });
    expect(await openCursor(LEGACY, legacyBinding, cursorKey(Buffer.alloc(32, 8)))).toMatchObject({ ok: false, error: { reason: 'forged' } });
    const sealedAt = Date.parse('2026-01-01T00:00:00Z');
    expect(await openCursor(LEGACY_TTL, legacyBinding, legacyKey, { nowMs: sealedAt + 59_000 })).toEqual({ ok: true, state: { page: 4 } });
    expect(await openCursor(LEGACY_TTL, legacyBinding, legacyKey, { nowMs: sealedAt + 60_000 })).toMatchObject({ ok: false, error: { reason: 'expired' } });
  });

  it('a new cursor for the same listing is a JWE, not the old format', async () => {
    expect((await sealCursor({ page: 3 }, legacyBinding, legacyKey)).split('.')).toHaveLength(5);
  });
});
