import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';

/**
 * Parses `env` with a service's zod schema once, at start-up. Every bad key is named in one error
 * (not just the first), and the result is frozen so nothing mutates configuration at run time.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', problems.join('; '), {
      extensions: { keys: result.error.issues.map((issue) => issue.path.join('.')) },
    });
  }
  return Object.freeze(result.data);
}

/** An optional string; empty strings in the environment mean "unset", as shells and compose files produce them. */
export const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** A comma-separated list of strings; empty means none. */
export const csv = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string()).default([]),
);

/** Logging. */
export const LogEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** An HTTP listener. */
export const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Base URL providers call; account webhook URLs are built on it. Default `http://HOST:PORT`. */
  SWITCHYARD_PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  /**
   * Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` names the client; none by default,
   * so a forged header cannot pass an IP allow-list.
   */
  SWITCHYARD_TRUSTED_PROXIES: csv,
  /** Bearer token `GET /metrics` requires; unset, the embedded hub keeps one in its data dir. */
  SWITCHYARD_METRICS_TOKEN: optionalString,
});

/** Secrets shared by services that read or write credentials. */
export const SecretsEnv = z.object({
  /**
   * 32-byte AES key(s), base64 or hex; comma-separated for rotation (the first encrypts, all decrypt).
   */
  SWITCHYARD_ENCRYPTION_KEY: z.string().min(1, 'required (32 bytes, base64 or hex)'),
});

/** A boolean flag: `true`/`1` or `false`/`0`/empty. */
export const bool = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1'));

/**
 * Egress policies: entries (`CIDR` or `CIDR:port`, IPv6 as `[CIDR]:port`) allowed despite the
 * private/loopback block list, one list for deliveries to customer endpoints and one for calls to
 * providers (base URLs, the proxy, unified calls, token endpoints). Both default to none.
 */
export const EgressEnv = z.object({
  SWITCHYARD_EGRESS_ALLOW: csv,
  SWITCHYARD_PROVIDER_EGRESS_ALLOW: csv,
  /**
   * Plain http to any destination. Without it, https is required except for destinations inside
   * SWITCHYARD_EGRESS_ALLOW (e.g. loopback in development).
   */
  SWITCHYARD_EGRESS_ALLOW_HTTP: bool.default(false),
});

