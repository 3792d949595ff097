import { describe, expect, it } from 'vitest';
import { Vault, generateKey } from './vault.js';

describe('Vault', () => {
  it('round-trips a secret and never stores it in clear', () => {
    const vault = new Vault(generateKey());
    const sealed = vault.seal('private-key-123', 'account:acc_1:webhook_secret');
    expect(JSON.stringify(sealed)).not.toContain('private-key-123');
    expect(vault.open(sealed, 'account:acc_1:webhook_secret')).toBe('private-key-123');
  });

  it('refuses a ciphertext moved onto another record', () => {
    const vault = new Vault(generateKey());
    const sealed = vault.seal('secret', 'account:acc_1:credentials');
    expect(() => vault.open(sealed, 'account:acc_2:credentials')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const vault = new Vault(generateKey());
    const sealed = vault.seal('secret', 'ctx');
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(() => vault.open({ ...sealed, ct: ct.toString('base64') }, 'ctx')).toThrow();
  });

  it('decrypts with an older key after rotation while encrypting with the new one', () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    const sealedOld = new Vault(oldKey).seal('before', 'ctx');
    const rotated = new Vault(`${newKey},${oldKey}`);
    expect(rotated.open(sealedOld, 'ctx')).toBe('before');
    expect(rotated.seal('after', 'ctx').kid).not.toBe(sealedOld.kid);
    expect(() => new Vault(newKey).open(sealedOld, 'ctx')).toThrow(/no key with id/);
  });

  it('accepts hex keys and refuses keys of the wrong length', () => {
    expect(() => new Vault('ab'.repeat(32))).not.toThrow();
    expect(() => new Vault('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
