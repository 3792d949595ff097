/** The body as JSON when it can be: already parsed, or text / bytes that parse. */
export function jsonOf(body: unknown): unknown {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      return JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
    } catch {
      return undefined;
    }
  }
  return body;
}

/**
 * The value at a dot path (`0.errorCode`, `o:errorDetails[0].o:errorCode`), own properties only, so a path
 * such as `__proto__.x` reads nothing.
 */
export function valueAt(root: unknown, path: string): unknown {
  let value = root;
  for (const segment of path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '').split('.')) {
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
