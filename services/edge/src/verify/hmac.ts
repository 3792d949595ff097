import { createHmac } from 'node:crypto';
import type { HmacScheme } from '@switchyard/contracts';
import type { z } from 'zod';
import type { InboundRequest, VerifyContext, VerifyResult } from './inbound.js';
import { keyBytes } from './secrets.js';
import { verifySigned } from './signed.js';

/**
 * `hmac`: an HMAC over the declared parts, keyed by an account or provider-app secret in the declared
 * format (text, base64, `whsec_`). Signs raw bytes; a re-serialized body will not verify.
 */
export function verifyHmac(scheme: z.output<typeof HmacScheme>, request: InboundRequest, ctx: VerifyContext): VerifyResult {
  const compute = (secret: string, message: Buffer) => createHmac(scheme.algorithm, keyBytes(secret, scheme.key.format)).update(message).digest();
  return verifySigned(scheme, scheme.key, compute, request, ctx);
}
