import type { AnyOfScheme, VerificationScheme } from '@switchyard/contracts';
import { verifyBasic, verifyBearer, verifyToken } from './credentials.js';
import { verifyDigest } from './digest.js';
import { verifyHmac } from './hmac.js';
import type { InboundRequest, VerifyContext, VerifyErrorCode, VerifyFailure, VerifyOptions, VerifyResult } from './inbound.js';
import { verifyIpAllowlist } from './ip-allowlist.js';
import { verifyJwt } from './jwt.js';

export type { InboundRequest, VerifyErrorCode, VerifyOptions, VerifyResult } from './inbound.js';
export { JwksCache, type JwksCacheOptions } from './jwks.js';

/** Runs one declared check. Every scheme of the contract union is handled here, and only here. */
function verifyOne(scheme: VerificationScheme, request: InboundRequest, ctx: VerifyContext): VerifyResult | Promise<VerifyResult> {
  switch (scheme.scheme) {
    case 'hmac':
      return verifyHmac(scheme, request, ctx);
    case 'digest':
      return verifyDigest(scheme, request, ctx);
    case 'jwt':
      return verifyJwt(scheme, request, ctx);
    case 'basic':
      return verifyBasic(scheme, request, ctx);
    case 'token':
      return verifyToken(scheme, request, ctx);
    case 'bearer':
      return verifyBearer(scheme, request, ctx);
    case 'ip_allowlist':
      return verifyIpAllowlist(scheme, ctx);
    case 'any_of':
      return verifyAnyOf(scheme, request, ctx);
  }
}

/** Failures that only say the request did not try this alternative. */
const ABSENT: ReadonlySet<VerifyErrorCode> = new Set(['SWY_ERR_SIGNATURE_MISSING', 'SWY_ERR_TOKEN_MISSING']);

/**
 * The first alternative that passes wins. Otherwise the answer is the failure of the first alternative
 * the request did try (a wrong signature, a stale timestamp), so a bad v3 signature is reported as such
 * and not as the v1 header being absent; when it tried none, the first alternative's "missing".
 */
async function verifyAnyOf(group: AnyOfScheme, request: InboundRequest, ctx: VerifyContext): Promise<VerifyResult> {
  let first: VerifyFailure | undefined;
  let tried: VerifyFailure | undefined;
  for (const alternative of group.of) {
    const result = await verifyOne(alternative, request, ctx);
    if (result.ok) return result;
    first ??= result;
    if (!tried && !ABSENT.has(result.code)) tried = result;
  }
  return tried ?? first!;
}

/**
 * Runs every declared check of a provider definition, in order, on the raw bytes; all must pass. The
 * first failure is returned, so the caller answers with its code and nothing is stored. Async because a
 * JWT check may fetch the provider's JWKS; the other checks complete synchronously.
 */
export async function verifyWebhook(schemes: readonly VerificationScheme[], request: InboundRequest, options: VerifyOptions): Promise<VerifyResult> {
  const ctx: VerifyContext = { ...options, nowMs: options.nowMs ?? Date.now() };
  for (const scheme of schemes) {
    const result = await verifyOne(scheme, request, ctx);
    if (!result.ok) return result;
  }
  return { ok: true };
}
