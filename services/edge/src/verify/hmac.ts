import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HmacScheme, KeyFormat, SignedPart } from '@switchyard/contracts';
import type { z } from 'zod';
import type { InboundRequest, VerifyResult } from './inbound.js';
import { checkTimestamp } from './timestamp.js';

type Scheme = z.output<typeof HmacScheme>;

/** The bytes a provider signed, assembled from the declared parts in order. */
export function signedBytes(parts: readonly SignedPart[], request: InboundRequest): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      switch (part.part) {
        case 'body':
          return request.body;
        case 'method':
          return Buffer.from(request.method.toUpperCase());
        case 'url':
          return Buffer.from(request.url);
        case 'path':
          return Buffer.from(request.path);
        case 'header':
          return Buffer.from(request.headers[part.name.toLowerCase()] ?? '');
        case 'literal':
          return Buffer.from(part.value);
      }
    }),
  );
}

/** HMAC key bytes from a stored secret. */
export function keyBytes(secret: string, format: z.infer<typeof KeyFormat>): Buffer {
  switch (format) {
    case 'text':
      return Buffer.from(secret, 'utf8');
    case 'base64':
      return Buffer.from(secret, 'base64');
    case 'whsec':
      return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  }
}

/** Decodes one signature entry as the scheme encodes it; undefined when it cannot be that encoding. */
function decodeSignature(text: string, encoding: Scheme['encoding']): Buffer | undefined {
  if (encoding === 'hex') return /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, encoding === 'base64' ? 'base64' : 'base64url');
}

/** The candidate signatures in the header: every entry carrying the prefix, with the prefix removed. */
function candidates(scheme: Scheme, header: string): Buffer[] {
  const entries = scheme.signature.separator ? header.split(scheme.signature.separator) : [header];
  const out: Buffer[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    // Entries of other versions (e.g. `v1a,` beside `v1,`) are ignored, not failures.
    if (!entry.startsWith(scheme.signature.prefix)) continue;
    const decoded = decodeSignature(entry.slice(scheme.signature.prefix.length), scheme.encoding);
    if (decoded) out.push(decoded);
  }
  return out;
}

/**
 * Verifies an HMAC scheme on the raw bytes: timestamp window first, then the expected MAC under each
 * active secret (rotation) against each signature entry in the header, compared in constant time.
 */
export function verifyHmac(scheme: Scheme, request: InboundRequest, secrets: readonly string[], nowMs: number): VerifyResult {
  const header = request.headers[scheme.signature.header.toLowerCase()];
  if (header === undefined || header.trim() === '') {
    return { ok: false, code: 'SWY_ERR_SIGNATURE_MISSING', detail: `header ${scheme.signature.header} is missing` };
  }
  if (scheme.timestamp) {
    const timestamp = checkTimestamp(scheme.timestamp, request, nowMs);
    if (!timestamp.ok) return timestamp;
  }
  if (secrets.length === 0) {
    return { ok: false, code: 'SWY_ERR_WEBHOOK_SECRET_UNSET', detail: 'set webhook_secret on the integrated account' };
  }
  const given = candidates(scheme, header);
  if (given.length === 0) {
    return { ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH', detail: `header ${scheme.signature.header} holds no ${scheme.encoding} signature` };
  }
  const message = signedBytes(scheme.signed, request);
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac(scheme.algorithm, keyBytes(secret, scheme.key.format)).update(message).digest();
    for (const candidate of given) {
      // Lengths are public (fixed per algorithm); only equal-length buffers reach the constant-time compare.
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  return matched ? { ok: true } : { ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH', detail: 'no active secret produced this signature' };
}
