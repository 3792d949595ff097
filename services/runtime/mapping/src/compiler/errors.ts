/**
 * JSONata-shaped errors for compiled expressions: plain objects with `code`, `position`, `token`,
 * `value` and the message jsonata's `populateMessage` would write, so callers (and the
 * `MappingEngine`'s error wrapping) cannot tell a compiled failure from an interpreted one.
 */

/** The error a compiled expression throws: the same fields jsonata's errors carry. */
export interface JsonataError {
  code: string;
  message: string;
  position?: number;
  token?: string;
  value?: unknown;
  value2?: unknown;
  index?: number;
  type?: string;
  stack?: string;
}

// The subset of jsonata 2.x's message catalogue the compiled subset can raise.
const MESSAGES: Record<string, string> = {
  T0410: 'Argument {{index}} of function {{token}} does not match function signature',
  T0411: 'Context value is not a compatible type with argument {{index}} of function {{token}}',
  T0412: 'Argument {{index}} of function {{token}} must be an array of {{type}}',
  D1001: 'Number out of range: {{value}}',
  D1002: 'Cannot negate a non-numeric value: {{value}}',
  T1003: 'Key in object structure must evaluate to a string; got: {{value}}',
  D1004: 'Regular expression matches zero length string',
  T1006: 'Attempted to invoke a non-function',
  D1009: 'Multiple key definitions evaluate to same key: {{value}}',
  T1010: 'The matcher function argument passed to function {{token}} does not return the correct object structure',
  D1011: 'Stack overflow. Check for non-terminating recursive function.  Consider rewriting as tail-recursive',
  D1012: 'Evaluation timeout after {{value}} milliseconds. Check for infinite loop',
  D1013: 'Object property names starting with _jsonata_ are reserved for internal use: {{value}}',
  T2001: 'The left side of the {{token}} operator must evaluate to a number',
  T2002: 'The right side of the {{token}} operator must evaluate to a number',
  T2003: 'The left side of the range operator (..) must evaluate to an integer',
  T2004: 'The right side of the range operator (..) must evaluate to an integer',
  T2009: 'The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type',
  T2010: 'The expressions either side of operator {{token}} must evaluate to numeric or string values',
  D2014: 'The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {{value}}.',
  D3001: 'Attempting to invoke string function on Infinity or NaN',
  D3010: 'Second argument of replace function cannot be an empty string',
  D3011: 'Fourth argument of replace function must evaluate to a positive number',
  D3012: 'Attempted to replace a matched string with a non-string value',
  D3020: 'Third argument of split function must evaluate to a positive number',
  D3030: 'Unable to cast value to a number: {{value}}',
  D3040: 'Third argument of match function must evaluate to a positive number',
  D3050: 'The second argument of reduce function must be a function with at least two arguments',
  D3060: 'The sqrt function cannot be applied to a negative number: {{value}}',
  D3061: 'The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}',
  D3070:
    'The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function',
  D3110: 'The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}',
  D3100: 'The radix of the formatBase function must be between 2 and 36.  It was given {{value}}',
  D3137: '{{{message}}}',
  D3138: 'The $single() function expected exactly 1 matching result.  Instead it matched more.',
  D3139: 'The $single() function expected exactly 1 matching result.  Instead it matched 0.',
  D3140: 'Malformed URL passed to ${{{functionName}}}(): {{value}}',
  D3141: '{{{message}}}',
};

/** A new error with `code` and the given fields; its message is filled in when it leaves the expression. */
export function jsonataError(code: string, fields: Partial<JsonataError> = {}): JsonataError {
  return { code, message: '', ...fields } as JsonataError;
}

/** Writes the catalogue message into `error` the way jsonata's `populateMessage` does. */
export function populateMessage(error: JsonataError): void {
  const template = MESSAGES[error.code];
  if (template === undefined) return;
  const fields = error as unknown as Record<string, unknown>;
  error.message = template
    .replace(/\{\{\{([^}]+)}}}/g, (_m, name: string) => String(fields[name]))
    .replace(/\{\{([^}]+)}}/g, (_m, name: string) => JSON.stringify(fields[name]) as string);
}

/** Whether `error` is one of ours (or jsonata's): a coded plain object, not a JS bug. */
export function isJsonataError(error: unknown): error is JsonataError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * Thrown by a compiled expression that met, at run time, a case outside the compiled subset (a date
 * picture it does not format, say): the caller re-runs that evaluation on the jsonata interpreter.
 * Expressions have no side effects, so running again is safe.
 */
export class OutsideSubset {
  constructor(readonly reason: string) {}
}
