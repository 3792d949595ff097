import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { JwtScheme } from '@switchyard/contracts';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { z } from 'zod';
import { sameDigest } from './compare.js';
import { header, refuse, type InboundRequest, type VerifyContext, type VerifyFailure, type VerifyResult } from './inbound.js';
import { JwksUnavailable, sharedJwksCache } from './jwks.js';
import { resolveSecrets } from './secrets.js';
import { decodeSignature } from './signature-header.js';

type Scheme = z.output<typeof JwtScheme>;
type StaticKey = KeyObject | Uint8Array;
/** A verified token's claims, or why it was refused. Claims stay wrapped: they are sender data. */
type Verified = { ok: true; payload: JWTPayload } | VerifyFailure;

/** The token where the definition says it travels; undefined when absent. */
function presentedToken(from: Scheme['token'], request: InboundRequest): string | undefined {
  let token: string | undefined;
  if (from.from === 'bearer') token = /^bearer\s+(\S+)\s*$/i.exec(header(request, 'authorization') ?? '')?.[1];
  if (from.from === 'query') token = new URL(request.path, 'http://query.invalid').searchParams.get(from.name) ?? undefined;
  if (from.from === 'header') {
    const value = header(request, from.name)?.trim();
    token = value?.toLowerCase().startsWith(from.prefix.toLowerCase()) ? value.slice(from.prefix.length).trim() : undefined;
  }
  return token === '' ? undefined : token;
}

// Parsing a PEM or JWK per request would cost more than verifying; keys change only on rotation.
const imported = new Map<string, KeyObject | null>();

/** A static key from a stored secret; undefined when the secret is not a usable key of that type. */
function staticKey(type: 'pem' | 'jwk' | 'secret', secret: string): StaticKey | undefined {
  if (type === 'secret') return Buffer.from(secret, 'utf8');
  const id = `${type}\0${secret}`;
  if (!imported.has(id)) {
    if (imported.size >= 1_000) imported.clear();
    try {
      imported.set(id, type === 'pem' ? createPublicKey(secret) : createPublicKey({ key: JSON.parse(secret), format: 'jwk' }));
    } catch {
      imported.set(id, null);
    }
  }
  return imported.get(id) ?? undefined;
}

/** A jose rejection as a coded result; anything that is not a jose or key-fetch error is a bug and rethrown. */
function rejection(error: unknown): VerifyFailure {
  if (error instanceof JwksUnavailable) return refuse('SWY_ERR_JWKS_UNAVAILABLE', error.message);
  if (error instanceof errors.JWTExpired) return refuse('SWY_ERR_TIMESTAMP_SKEW', `token ${error.claim} check failed: expired`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const time = ['exp', 'nbf', 'iat'].includes(error.claim) && error.reason === 'check_failed';
    return refuse(time ? 'SWY_ERR_TIMESTAMP_SKEW' : 'SWY_ERR_TOKEN_INVALID', error.message);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('SWY_ERR_SIGNATURE_MISMATCH', 'token signature does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('SWY_ERR_TOKEN_INVALID', 'token algorithm is not allowed');
  if (error instanceof errors.JWKSNoMatchingKey) return refuse('SWY_ERR_TOKEN_INVALID', 'no key in the provider JWKS matches the token');
  if (error instanceof errors.JOSEError) return refuse('SWY_ERR_TOKEN_INVALID', `token rejected (${error.code})`);
  throw error;
}

/** Verifies against a remote key set; when several keys share the `kid`, each is tried (jose's documented pattern). */
async function withJwks(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<Verified> {
  try {
    return { ok: true, payload: (await jwtVerify(token, keys, options)).payload };
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) return rejection(error);
    let last: unknown = error;
    for await (const key of error) {
      try {
        return { ok: true, payload: (await jwtVerify(token, key, options)).payload };
      } catch (attempt) {
        last = attempt;
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    return rejection(last);
  }
}

/** Verifies against each active static key (rotation); a claim failure under a matching key is final. */
async function withStaticKeys(token: string, keys: readonly StaticKey[], options: JWTVerifyOptions): Promise<Verified> {
  for (const key of keys) {
    try {
      return { ok: true, payload: (await jwtVerify(token, key, options)).payload };
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) return rejection(error);
    }
  }
  return refuse('SWY_ERR_SIGNATURE_MISMATCH', 'token signature does not verify under any active key');
}

/** The body-hash claim must hold the hash of the raw bytes: binds the token to this one body. */
function checkBodyHash(binding: NonNullable<Scheme['body_hash']>, payload: JWTPayload, body: Buffer): VerifyResult {
  const claimed = payload[binding.claim];
  if (typeof claimed !== 'string') return refuse('SWY_ERR_TOKEN_INVALID', `token has no ${binding.claim} claim`);
  const given = decodeSignature(claimed, binding.encoding);
  const expected = createHash(binding.algorithm).update(body).digest();
  return given && sameDigest(given, expected) ? { ok: true } : refuse('SWY_ERR_SIGNATURE_MISMATCH', `body does not match the token's ${binding.claim} claim`);
}

/**
 * `jwt`: a signed token verified with `jose` against a JWKS URL or static keys, with an algorithm
 * allow-list, issuer, audience, clock tolerance, and optionally a claim binding the raw body bytes.
 */
export async function verifyJwt(scheme: Scheme, request: InboundRequest, ctx: VerifyContext): Promise<VerifyResult> {
  const token = presentedToken(scheme.token, request);
  if (token === undefined) return refuse('SWY_ERR_TOKEN_MISSING', `no token (${scheme.token.from === 'bearer' ? 'Authorization: Bearer' : `${scheme.token.from} ${scheme.token.name}`})`);
  const options: JWTVerifyOptions = {
    algorithms: scheme.algorithms,
    clockTolerance: scheme.clock_tolerance_s,
    requiredClaims: scheme.required_claims,
    currentDate: new Date(ctx.nowMs),
    ...(scheme.issuer === undefined ? {} : { issuer: scheme.issuer }),
    ...(scheme.audience === undefined ? {} : { audience: scheme.audience }),
    ...(scheme.max_age_s === undefined ? {} : { maxTokenAge: scheme.max_age_s }),
  };
  let verified: Verified;
  if (scheme.key.type === 'jwks') {
    verified = await withJwks(token, (ctx.jwks ?? sharedJwksCache()).get(scheme.key.url), options);
  } else {
    const secrets = resolveSecrets(scheme.key, ctx);
    if (!secrets.ok) return secrets;
    const type = scheme.key.type;
    const keys = secrets.secrets.map((secret) => staticKey(type, secret)).filter((key) => key !== undefined);
    if (keys.length === 0) return refuse(scheme.key.source === 'account' ? 'SWY_ERR_WEBHOOK_SECRET_UNSET' : 'SWY_ERR_APP_SECRET_UNSET', `no active secret is a ${type} key`);
    verified = await withStaticKeys(token, keys, options);
  }
  if (!verified.ok) return verified;
  return scheme.body_hash ? checkBodyHash(scheme.body_hash, verified.payload, request.body) : { ok: true };
}
