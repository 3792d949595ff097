import { createHash, createHmac } from 'node:crypto';
import type { SignedPart, VerificationAlternative, VerificationScheme } from '@switchyard/contracts';

/** A request as a provider would send it. `url` is the full public URL, query included. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** One way a provider's request can pass: its checks with each `any_of` group resolved to one alternative. */
export interface VerificationVariant {
  /** Empty without `any_of`; otherwise which alternative each group took, e.g. `any_of[1] digest x-hubspot-signature`. */
  label: string;
  schemes: VerificationScheme[];
}

const describeAlternative = (alt: VerificationAlternative): string =>
  alt.scheme === 'hmac' || alt.scheme === 'digest' ? `${alt.scheme} ${alt.signature.header}` : alt.scheme === 'token' ? `token in ${alt.in} ${alt.name}` : alt.scheme;

/**
 * Every combination of alternatives a definition accepts, so a test can build the valid request, and
 * each "valid request minus one thing", for each way a provider may sign.
 */
export function verificationVariants(schemes: readonly VerificationScheme[]): VerificationVariant[] {
  let variants: VerificationVariant[] = [{ label: '', schemes: [] }];
  for (const scheme of schemes) {
    if (scheme.scheme !== 'any_of') {
      variants = variants.map((v) => ({ ...v, schemes: [...v.schemes, scheme] }));
      continue;
    }
    variants = variants.flatMap((v) =>
      scheme.of.map((alt, i) => ({ label: [v.label, `any_of[${i}] ${describeAlternative(alt)}`].filter(Boolean).join(', '), schemes: [...v.schemes, alt] })),
    );
  }
  return variants;
}

/** Which schemes {@link signForSchemes} can produce; a provider using another is tested elsewhere. */
export function canSign(schemes: readonly VerificationScheme[]): { ok: true } | { ok: false; why: string } {
  for (const scheme of schemes) {
    if (scheme.scheme === 'jwt') return { ok: false, why: 'JWT schemes need provider-issued keys; covered by services/edge/src/verify/jwt.test.ts' };
    if (scheme.scheme === 'ip_allowlist') return { ok: false, why: 'IP allow-lists refuse loopback test traffic; covered by ip-allowlist.test.ts' };
    if (scheme.scheme === 'any_of') return { ok: false, why: 'sign one variant at a time: see verificationVariants' };
  }
  return { ok: true };
}

const keyBytes = (secret: string, format: 'text' | 'base64' | 'whsec') =>
  format === 'text' ? Buffer.from(secret) : Buffer.from(format === 'whsec' ? secret.replace(/^whsec_/, '') : secret, 'base64');

function setJsonField(body: Buffer, name: string, value: unknown): Buffer {
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  json[name] = value;
  return Buffer.from(JSON.stringify(json));
}

/**
 * Signs a request exactly as each declared scheme verifies it: the inverse of the edge's verifiers,
 * written from the declarations, so one factory builds the valid request for every provider. Steps
 * that change the body or the URL run first, because signatures may cover both.
 */
export function signForSchemes(schemes: readonly VerificationScheme[], request: OutgoingRequest, secret: string, nowS: number): OutgoingRequest {
  let { url, body } = request;
  const headers = { ...request.headers };
  for (const scheme of schemes) {
    if (scheme.scheme === 'token' && scheme.in === 'body') body = setJsonField(body, scheme.name, `${scheme.prefix}${secret}`);
    if ((scheme.scheme === 'hmac' || scheme.scheme === 'digest') && scheme.timestamp?.field) {
      body = setJsonField(body, scheme.timestamp.field, scheme.timestamp.unit === 'ms' ? nowS * 1000 : nowS);
    }
  }
  for (const scheme of schemes) {
    if (scheme.scheme === 'token' && scheme.in === 'query') {
      const u = new URL(url);
      u.searchParams.set(scheme.name, `${scheme.prefix}${secret}`);
      url = u.toString();
    }
  }
  for (const scheme of schemes) {
    switch (scheme.scheme) {
      case 'basic':
        headers.authorization = `Basic ${Buffer.from(secret).toString('base64')}`;
        break;
      case 'bearer':
        headers.authorization = `Bearer ${secret}`;
        break;
      case 'token':
        if (scheme.in === 'header') headers[scheme.name.toLowerCase()] = `${scheme.prefix}${secret}`;
        break;
      case 'hmac':
      case 'digest': {
        const stamp = String(scheme.timestamp?.unit === 'ms' ? nowS * 1000 : nowS);
        if (scheme.timestamp?.header) headers[scheme.timestamp.header.toLowerCase()] = stamp;
        const params = new Map<string, string>();
        if (scheme.timestamp?.param) params.set(scheme.timestamp.param, stamp);
        const u = new URL(url);
        const part = (p: SignedPart): Buffer => {
          switch (p.part) {
            case 'body':
              return body;
            case 'method':
              return Buffer.from(request.method.toUpperCase());
            case 'url':
              return Buffer.from(url);
            case 'path':
              return Buffer.from(`${u.pathname}${u.search}`);
            case 'header':
              return Buffer.from(headers[p.name.toLowerCase()] ?? '');
            case 'signature_param':
              return Buffer.from(params.get(p.name) ?? '');
            case 'literal':
              return Buffer.from(p.value);
          }
        };
        const message = Buffer.concat(scheme.signed.map(part));
        const digest =
          scheme.scheme === 'hmac'
            ? createHmac(scheme.algorithm, keyBytes(secret, scheme.key.format)).update(message).digest(scheme.encoding)
            : createHash(scheme.algorithm).update(secret, 'utf8').update(message).digest(scheme.encoding);
        const entry = `${scheme.signature.prefix}${digest}`;
        const name = scheme.signature.header.toLowerCase();
        headers[name] = scheme.signature.param
          ? [...[...params].map(([k, v]) => `${k}=${v}`), `${scheme.signature.param}=${entry}`].join(scheme.signature.separator ?? ',')
          : entry;
        break;
      }
      case 'jwt':
      case 'ip_allowlist':
      case 'any_of':
        throw new Error(`cannot sign ${scheme.scheme}: see canSign`);
    }
  }
  return { method: request.method, url, headers, body };
}

/** Whether any declared check covers the body bytes (so changing one must fail). */
export const signsBody = (schemes: readonly VerificationScheme[]) =>
  schemes.some((s) => (s.scheme === 'hmac' || s.scheme === 'digest') && s.signed.some((p) => p.part === 'body'));

/** Whether any declared check covers the URL (so a different URL must fail). */
export const signsUrl = (schemes: readonly VerificationScheme[]) =>
  schemes.some((s) => (s.scheme === 'hmac' || s.scheme === 'digest') && s.signed.some((p) => p.part === 'url'));
