import { header, type InboundRequest } from './inbound.js';

/**
 * The value at a dot path (`0.occurredAt`, `meta.timestamp`) in parsed JSON, following own properties
 * only, so a path such as `__proto__.x` reads nothing.
 */
export function valueAt(root: unknown, path: string): unknown {
  let value = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(value)) {
      value = /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return value;
}

/** The body parsed as JSON, or undefined when it is not JSON. */
export function jsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A top-level string field of a JSON or form-urlencoded body, chosen by the request's media type.
 * Parses a private copy for this one field; the mapping later parses the raw bytes on its own.
 */
export function bodyField(request: InboundRequest, name: string): string | undefined {
  const mediaType = (header(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/x-www-form-urlencoded') {
    return new URLSearchParams(request.body.toString('utf8')).get(name) ?? undefined;
  }
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    const parsed = jsonBody(request.body);
    const value = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.hasOwn(parsed, name) ? (parsed as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
