import type { VerificationScheme } from '@switchyard/contracts';
import { verifyHmac } from './hmac.js';
import type { InboundRequest, VerifyResult } from './inbound.js';

export type { InboundRequest, VerifyResult } from './inbound.js';
export { keyBytes, signedBytes, verifyHmac } from './hmac.js';
export { checkTimestamp } from './timestamp.js';

/**
 * Runs every declared check of a provider definition; all must pass. The first failure is returned,
 * so the caller answers with its code and nothing is stored.
 */
export function verifyWebhook(
  schemes: readonly VerificationScheme[],
  request: InboundRequest,
  secrets: readonly string[],
  nowMs = Date.now(),
): VerifyResult {
  for (const scheme of schemes) {
    let result: VerifyResult;
    switch (scheme.scheme) {
      case 'hmac':
        result = verifyHmac(scheme, request, secrets, nowMs);
        break;
    }
    if (!result.ok) return result;
  }
  return { ok: true };
}
