import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cursorKey, openCursor, sealCursor, type CursorBinding } from './index.js';

const material = randomBytes(32).toString('base64');
const key = cursorKey(material);
const binding: CursorBinding = { accountId: 'acc_01HZX', resource: 'crm/contacts' };
const state = { nextRecordsUrl: '/services/data/v59.0/query/01gD0000002HU6KIAW-2000', page: 2 };

const reasonOf = (token: string, b: CursorBinding = binding) => {
  const opened = openCursor(token, b, key);
  return opened.ok ? 'opened' : opened.error.reason;
};

describe('sealed pagination cursor', () => {
  it('round-trips any JSON state and stays compact', () => {
    for (const value of [state, null, 0, 'naïve ☃', [1, { a: true }]]) {
      const token = sealCursor(value, binding, key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(openCursor(token, binding, key)).toEqual({ ok: true, state: value });
    }
    // 29 bytes of overhead (version, nonce, tag) on top of the JSON.
    expect(sealCursor({ offset: 200 }, binding, key).length).toBeLessThan(70);
  });

  it('hides the state: a provider URL is not readable in the token', () => {
    const bytes = Buffer.from(sealCursor(state, binding, key), 'base64url').toString('latin1');
    expect(bytes).not.toContain('services/data');
    expect(sealCursor(state, binding, key)).not.toBe(sealCursor(state, binding, key));
  });

  it('refuses every single-byte change of the sealed bytes', () => {
    const bytes = Buffer.from(sealCursor(state, binding, key), 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const changed = Buffer.from(bytes);
        changed[i] = (changed[i] as number) ^ flip;
        expect(reasonOf(changed.toString('base64url')), `byte ${i} ^ ${flip}`).not.toBe('opened');
      }
    }
  });

  it('refuses every single-character change of the token, including spare bits of the last one', () => {
    const token = sealCursor(state, binding, key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        expect(reasonOf(changed), `char ${i} → ${c}`).not.toBe('opened');
      }
    }
  });

  it('refuses truncated, extended and junk tokens as values, never by throwing', () => {
    const token = sealCursor(state, binding, key);
    for (let n = 0; n < token.length; n++) expect(reasonOf(token.slice(0, n))).not.toBe('opened');
    expect(reasonOf(`${token}A`)).not.toBe('opened');
    expect(reasonOf(`${token}==`)).toBe('malformed');
    expect(reasonOf('not a cursor!')).toBe('malformed');
    expect(reasonOf('A'.repeat(10_000))).toBe('malformed');
  });

  it("refuses another account's cursor", () => {
    const token = sealCursor(state, binding, key);
    expect(openCursor(token, { ...binding, accountId: 'acc_OTHER' }, key)).toEqual({
      ok: false,
      error: { code: 'SWY_ERR_CURSOR_INVALID', status: 400, reason: 'forged', detail: expect.any(String) },
    });
  });

  it("refuses another resource's cursor, and binding fields cannot be shifted into each other", () => {
    const token = sealCursor(state, binding, key);
    expect(reasonOf(token, { ...binding, resource: 'crm/accounts' })).toBe('forged');
    const shifted = sealCursor(state, { accountId: 'a', resource: 'bc' }, key);
    expect(reasonOf(shifted, { accountId: 'ab', resource: 'c' })).toBe('forged');
  });

  it('refuses a cursor sealed under another key; opens old cursors after a rotation', () => {
    const oldKey = randomBytes(32);
    const old = sealCursor(state, binding, cursorKey(oldKey));
    expect(reasonOf(old)).toBe('forged');
    const rotated = cursorKey(`${randomBytes(32).toString('base64')},${oldKey.toString('base64')}`);
    expect(openCursor(old, binding, rotated)).toEqual({ ok: true, state });
  });

  it('expires after its TTL when one is given', () => {
    const nowMs = Date.parse('2026-06-01T12:00:00Z');
    const token = sealCursor(state, binding, key, { ttlS: 3600, nowMs });
    expect(openCursor(token, binding, key, { nowMs: nowMs + 3_599_000 }).ok).toBe(true);
    const late = openCursor(token, binding, key, { nowMs: nowMs + 3_600_000 });
    expect(late.ok || late.error.reason).toBe('expired');
  });

  it('keeps key bytes out of sight and refuses short keys', () => {
    expect(JSON.stringify(key)).toBe('{"kind":"cursor-key"}');
    expect(() => cursorKey(new Uint8Array(16))).toThrow();
    expect(() => openCursor('x', binding, { kind: 'cursor-key' })).toThrow(/cursorKey/);
  });
});
