import { createHmac } from 'node:crypto';
import { SwitchyardError, type Handshake, type Reply } from '@switchyard/contracts';
import type { MappingEngine } from '@switchyard/mapping';

/** What handshake expressions see. `payload` is the parsed body, undefined when it does not parse. */
export interface RequestView {
  method: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | undefined>;
  payload: unknown;
}

/** A reply ready to send. */
export interface RenderedReply {
  status: number;
  contentType: string;
  body: string;
}

/** `$hmac(algorithm, key, message, encoding?)` for challenge replies that need a keyed hash (Zoom-style). */
function hmac(algorithm: string, key: string, message: string, encoding?: string): string {
  return createHmac(algorithm, key).update(message).digest(encoding === 'base64' ? 'base64' : encoding === 'base64url' ? 'base64url' : 'hex');
}

/** The first declared handshake whose `match` is truthy for this request. */
export async function findHandshake(engine: MappingEngine, slug: string, handshakes: readonly Handshake[], view: RequestView): Promise<Handshake | undefined> {
  for (const handshake of handshakes) {
    const matched = await engine.evaluate(`${slug}/provider.json#handshakes.${handshake.name}.match`, handshake.match, view).catch(() => false);
    if (matched) return handshake;
  }
  return undefined;
}

/** What the look-up before verification found. */
export type UnsignedHandshake =
  | { found: 'none' }
  | { found: 'match'; handshake: Handshake; view: RequestView }
  | { found: 'too_large'; handshake: Handshake };

/**
 * Looks for an unverified handshake (Graph `validationToken`, HiBob ping, Gusto's token POST) before
 * the signature is checked. A body is parsed only when it fits the handshake's `max_bytes`; a larger
 * one is matched without its payload, so nothing big is ever parsed unauthenticated. `view.payload`
 * is ignored: `parse` is called at most once, lazily. Verified handshakes are not looked at here.
 */
export async function findUnsignedHandshake(
  engine: MappingEngine,
  slug: string,
  handshakes: readonly Handshake[],
  view: RequestView,
  bodyBytes: number,
  parse: () => unknown,
): Promise<UnsignedHandshake> {
  let parsed: { payload: unknown } | undefined;
  for (const handshake of handshakes) {
    if (handshake.verified) continue;
    const small = bodyBytes <= handshake.max_bytes;
    if (small && !parsed) {
      try {
        parsed = { payload: parse() };
      } catch {
        parsed = { payload: undefined };
      }
    }
    const candidate: RequestView = { ...view, payload: small ? parsed?.payload : undefined };
    const match = await findHandshake(engine, slug, [handshake], candidate);
    if (!match) continue;
    return small ? { found: 'match', handshake, view: candidate } : { found: 'too_large', handshake };
  }
  return { found: 'none' };
}

/** The value a handshake captures as the account's webhook secret, if it yields a non-empty string. */
export async function capturedSecret(engine: MappingEngine, slug: string, handshake: Handshake, view: RequestView): Promise<string | undefined> {
  if (!handshake.capture_secret) return undefined;
  const value = await engine.evaluate(`${slug}/provider.json#handshakes.${handshake.name}.capture_secret`, handshake.capture_secret, view).catch(() => undefined);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Builds a declared reply. The body expression sees the request and the account's secrets (for keyed
 * challenges); a string result is sent byte for byte, anything else as JSON.
 */
export async function renderReply(engine: MappingEngine, name: string, reply: Reply, view: RequestView, secrets: readonly string[]): Promise<RenderedReply> {
  if (reply.body === undefined) return { status: reply.status, contentType: reply.content_type, body: '' };
  let value: unknown;
  try {
    value = await engine.evaluate(name, reply.body, { ...view, secrets }, { hmac });
  } catch (error) {
    throw new SwitchyardError('SWY_ERR_HANDSHAKE_FAILED', `${name}: ${(error as Error).message}`, { cause: error });
  }
  return { status: reply.status, contentType: reply.content_type, body: value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value) };
}
