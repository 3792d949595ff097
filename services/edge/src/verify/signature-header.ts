import type { SignatureHeader } from '@switchyard/contracts';
import type { z } from 'zod';

type Spec = z.output<typeof SignatureHeader>;

/** A signature header taken apart: the signature texts it offers and, for keyed lists, its other entries. */
export interface SignatureEntries {
  /** Signature texts with the prefix removed, not yet decoded. Any one may match. */
  signatures: string[];
  /** The `name=value` entries of a keyed list other than the signatures (`t` in `t=…,v1=…`). */
  params: ReadonlyMap<string, string>;
}

/**
 * Splits a signature header as declared. Entries of other versions (`v1a,` beside `v1,`, `v0=` beside
 * `v1=`) are ignored, not failures, so a provider can add a version without breaking us.
 */
export function readSignatureHeader(spec: Spec, value: string): SignatureEntries {
  const signatures: string[] = [];
  const params = new Map<string, string>();
  const separator = spec.separator ?? (spec.param === undefined ? undefined : ',');
  for (const raw of separator === undefined ? [value] : value.split(separator)) {
    let entry = raw.trim();
    if (spec.param !== undefined) {
      const equals = entry.indexOf('=');
      if (equals <= 0) continue;
      const name = entry.slice(0, equals).trim();
      entry = entry.slice(equals + 1).trim();
      if (name !== spec.param) {
        // First one wins: the timestamp check and the signed bytes must read the same value.
        if (!params.has(name)) params.set(name, entry);
        continue;
      }
    }
    if (entry.startsWith(spec.prefix)) signatures.push(entry.slice(spec.prefix.length));
  }
  return { signatures, params };
}

/** Decodes one signature text as the scheme encodes it; undefined when it cannot be that encoding. */
export function decodeSignature(text: string, encoding: 'hex' | 'base64' | 'base64url'): Buffer | undefined {
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  // Padding-tolerant: some senders strip `=` (Merge's base64url), Node decodes either way.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, encoding === 'base64' ? 'base64' : 'base64url');
}
