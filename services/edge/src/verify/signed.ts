import type { SignatureHeader, SignedPart, TimestampRule } from '@switchyard/contracts';
import type { z } from 'zod';
import { sameDigest } from './compare.js';
import { header, refuse, type InboundRequest, type VerifyContext, type VerifyResult } from './inbound.js';
import { signedBytes } from './parts.js';
import { resolveSecrets, type SecretSource } from './secrets.js';
import { decodeSignature, readSignatureHeader } from './signature-header.js';
import { checkBodyTimestamp, checkTimestamp } from './timestamp.js';

/** The declaration shared by schemes that recompute a signature (`hmac`, `digest`). */
export interface SignedScheme {
  encoding: 'hex' | 'base64' | 'base64url';
  signature: z.output<typeof SignatureHeader>;
  signed: readonly SignedPart[];
  timestamp?: z.output<typeof TimestampRule> | undefined;
}

/**
 * Verifies a recomputed signature on the raw bytes: header and timestamp window first (cheap), then the
 * expected value under each active secret (rotation) against each offered signature, compared in
 * constant time. A timestamp in the body is judged only after the signature matched.
 */
export function verifySigned(
  scheme: SignedScheme,
  keys: SecretSource,
  compute: (secret: string, message: Buffer) => Buffer,
  request: InboundRequest,
  ctx: VerifyContext,
): VerifyResult {
  const value = header(request, scheme.signature.header);
  if (value === undefined || value.trim() === '') {
    return refuse('SWY_ERR_SIGNATURE_MISSING', `header ${scheme.signature.header} is missing`);
  }
  const entries = readSignatureHeader(scheme.signature, value);
  if (scheme.timestamp) {
    const timestamp = checkTimestamp(scheme.timestamp, request, entries.params, ctx.nowMs);
    if (!timestamp.ok) return timestamp;
  }
  const secrets = resolveSecrets(keys, ctx);
  if (!secrets.ok) return secrets;
  const given = entries.signatures.map((text) => decodeSignature(text, scheme.encoding)).filter((bytes) => bytes !== undefined);
  if (given.length === 0) {
    return refuse('SWY_ERR_SIGNATURE_MISMATCH', `header ${scheme.signature.header} holds no ${scheme.encoding} signature`);
  }
  const message = signedBytes(scheme.signed, request, entries.params);
  let matched = false;
  for (const secret of secrets.secrets) {
    const expected = compute(secret, message);
    for (const candidate of given) matched = sameDigest(candidate, expected) || matched;
  }
  if (!matched) return refuse('SWY_ERR_SIGNATURE_MISMATCH', 'no active secret produced this signature');
  return scheme.timestamp ? checkBodyTimestamp(scheme.timestamp, request.body, ctx.nowMs) : { ok: true };
}
