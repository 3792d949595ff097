import type { BasicScheme, BearerScheme, TokenScheme } from '@switchyard/contracts';
import type { z } from 'zod';
import { bodyField } from './body-fields.js';
import { equalsAny, safeEqual } from './compare.js';
import { header, refuse, type InboundRequest, type VerifyContext, type VerifyResult } from './inbound.js';
import { resolveSecrets, type SecretSource } from './secrets.js';

/** Compares a presented credential with every active secret in constant time. */
function matchSecret(presented: string | undefined, what: string, ref: SecretSource, ctx: VerifyContext): VerifyResult {
  if (presented === undefined || presented === '') return refuse('SWY_ERR_TOKEN_MISSING', `no ${what}`);
  const secrets = resolveSecrets(ref, ctx);
  if (!secrets.ok) return secrets;
  return equalsAny(presented, secrets.secrets) ? { ok: true } : refuse('SWY_ERR_TOKEN_INVALID', `${what} matches no active secret`);
}

/**
 * `token`: a static token the provider echoes, in a header (after `prefix`, matched case-insensitively),
 * a query parameter, or a top-level field of a JSON or form body (Zoho's `token`).
 */
export function verifyToken(scheme: z.output<typeof TokenScheme>, request: InboundRequest, ctx: VerifyContext): VerifyResult {
  let presented: string | undefined;
  if (scheme.in === 'header') {
    const value = header(request, scheme.name)?.trim();
    presented = value?.toLowerCase().startsWith(scheme.prefix.toLowerCase()) ? value.slice(scheme.prefix.length).trim() : undefined;
  } else if (scheme.in === 'query') {
    presented = new URL(request.path, 'http://query.invalid').searchParams.get(scheme.name) ?? undefined;
  } else {
    presented = bodyField(request, scheme.name);
  }
  return matchSecret(presented, `token in ${scheme.in} ${scheme.name}`, scheme.secret, ctx);
}

/** `bearer`: `Authorization: Bearer <token>` where the token is an active secret. */
export function verifyBearer(scheme: z.output<typeof BearerScheme>, request: InboundRequest, ctx: VerifyContext): VerifyResult {
  const presented = /^bearer\s+(\S+)\s*$/i.exec(header(request, 'authorization') ?? '')?.[1];
  return matchSecret(presented, 'bearer token', scheme.secret, ctx);
}

/**
 * `basic`: HTTP Basic credentials (Pipedrive) where the active secret is stored as `user:password`. User
 * and password are both compared in constant time; a secret without `:` never matches.
 */
export function verifyBasic(scheme: z.output<typeof BasicScheme>, request: InboundRequest, ctx: VerifyContext): VerifyResult {
  const encoded = /^basic\s+(\S+)\s*$/i.exec(header(request, 'authorization') ?? '')?.[1];
  if (encoded === undefined) return refuse('SWY_ERR_TOKEN_MISSING', 'no Basic credentials');
  const secrets = resolveSecrets(scheme.secret, ctx);
  if (!secrets.ok) return secrets;
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) return refuse('SWY_ERR_TOKEN_INVALID', 'Basic credentials are not user:password');
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  let matched = false;
  for (const secret of secrets.secrets) {
    const split = secret.indexOf(':');
    if (split < 0) continue;
    // Both halves always compared: which half differs must not show in the timing.
    const userOk = safeEqual(user, secret.slice(0, split));
    const passwordOk = safeEqual(password, secret.slice(split + 1));
    matched = (userOk && passwordOk) || matched;
  }
  return matched ? { ok: true } : refuse('SWY_ERR_TOKEN_INVALID', 'Basic credentials match no active secret');
}
