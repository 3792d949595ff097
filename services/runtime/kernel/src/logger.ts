import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino must never print. Bodies, credentials and signatures are the payload or the keys to it;
 * zero data retention means they stay out of logs even at debug level.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.body',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'body',
  'payload',
  'credentials',
  'secret',
  'secrets',
  'webhook_secret',
  'api_key',
  'token',
  'password',
  '*.authorization',
  '*.body',
  '*.payload',
  '*.credentials',
  '*.secret',
  '*.webhook_secret',
  '*.api_key',
  '*.token',
  '*.password',
];

/** Creates the process logger: JSON lines with redaction. `destination` exists for tests. */
export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    options.destination ?? process.stdout,
  );
}
