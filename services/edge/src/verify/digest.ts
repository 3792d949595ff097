import { createHash } from 'node:crypto';
import type { DigestScheme } from '@switchyard/contracts';
import type { z } from 'zod';
import type { InboundRequest, VerifyContext, VerifyResult } from './inbound.js';
import { verifySigned } from './signed.js';

/**
 * `digest`: a plain hash of the secret's UTF-8 text followed by the declared parts (HubSpot v1/v2).
 * Weaker than an HMAC (length extension, no timestamp in the legacy uses): declare it only for providers
 * that offer nothing better.
 */
export function verifyDigest(scheme: z.output<typeof DigestScheme>, request: InboundRequest, ctx: VerifyContext): VerifyResult {
  const compute = (secret: string, message: Buffer) => createHash(scheme.algorithm).update(secret, 'utf8').update(message).digest();
  return verifySigned(scheme, scheme.secret, compute, request, ctx);
}
