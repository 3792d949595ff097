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
