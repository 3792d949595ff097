import { jsonOf } from '@switchyard/kernel';
import { mediaType } from '@switchyard/mapping';
import { header, type InboundRequest } from './inbound.js';

/**
 * A top-level string field of a JSON or form-urlencoded body, chosen by the request's media type.
 * Parses a private copy for this one field; the mapping later parses the raw bytes on its own.
 */
export function bodyField(request: InboundRequest, name: string): string | undefined {
  const type = mediaType(header(request, 'content-type'));
  if (type === 'application/x-www-form-urlencoded') {
    return new URLSearchParams(request.body.toString('utf8')).get(name) ?? undefined;
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    const parsed = jsonOf(request.body);
    const value = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.hasOwn(parsed, name) ? (parsed as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
