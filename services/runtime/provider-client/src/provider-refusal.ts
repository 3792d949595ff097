import { SwitchyardError } from '@switchyard/contracts';
import type { MappingEngine } from '@switchyard/mapping';

/** Longest provider reason passed on; providers can answer pages of HTML or stack traces. */
const MAX_REASON_CHARS = 500;

/** Statuses that mean "this record, as sent, is not acceptable" rather than "the provider failed". */
const REFUSAL_STATUSES = new Set([400, 409, 412, 422]);

/**
 * Where providers commonly put the human-readable reason of an error answer, tried in order when the
 * definition declares no `api.error_message`: `{message}`, `{error: "…"}`, `{error: {message}}` (OData,
 * Graph, Dynamics), `{error_description}` (OAuth), `{errors: [{message|detail}]}` (JSON:API, GraphQL),
 * `[{message}]` (Salesforce), `{detail}` / `{title}` (RFC 9457).
 */
function commonReason(body: unknown): unknown {
  const at = (value: unknown, key: string | number): unknown => (value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined);
  const first = (value: unknown) => (Array.isArray(value) ? value[0] : undefined);
  const candidates = [
    at(body, 'message'),
    at(body, 'error'),
    at(at(body, 'error'), 'message'),
    at(body, 'error_description'),
    at(first(at(body, 'errors')), 'message'),
    at(first(at(body, 'errors')), 'detail'),
    at(first(body), 'message'),
    at(body, 'detail'),
    at(body, 'title'),
  ];
  return candidates.find((c) => typeof c === 'string' && c.trim() !== '');
}

/** A reason fit to show: one line, printable, bounded. */
function tidy(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  const line = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}

/**
 * The coded error for a provider's 4xx/5xx answer that is not a rate limit, a missing record or refused
 * credentials. A write the provider refuses as sent (400, 409, 412, 422) is `SWY_ERR_PROVIDER_REFUSED`
 * (422): the caller can fix the record. Anything else is `SWY_ERR_PROVIDER_ERROR` (502). Both carry
 * `provider_status` and, when the answer has one, `provider_message`: the provider's own reason, from
 * the definition's `api.error_message` expression (over `{status, body, headers}`) or the common places.
 * The reason goes to the caller only; the hub logs codes, never it (it may echo the record).
 */
export async function providerFailure(
  engine: MappingEngine,
  where: { slug: string; method: string; errorMessage: string | undefined },
  reply: { status: number; body: unknown; headers: Record<string, string> },
): Promise<SwitchyardError> {
  let reason: unknown;
  try {
    reason = where.errorMessage ? await engine.evaluate(`${where.slug}/provider.json#api.error_message`, where.errorMessage, reply) : commonReason(reply.body);
  } catch {
    // A reason that cannot be read must not hide the failure itself.
    reason = undefined;
  }
  const message = tidy(reason);
  const extensions = { provider_status: reply.status, ...(message ? { provider_message: message } : {}) };
  const refused = where.method !== 'GET' && REFUSAL_STATUSES.has(reply.status);
  const detail = `${where.slug} answered ${reply.status}${message ? `: ${message}` : ''}`;
  return new SwitchyardError(refused ? 'SWY_ERR_PROVIDER_REFUSED' : 'SWY_ERR_PROVIDER_ERROR', detail, { extensions });
}
