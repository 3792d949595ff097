import type { KeyFormat } from '@switchyard/contracts';
import type { z } from 'zod';
import { refuse, type VerifyContext, type VerifyFailure } from './inbound.js';

/** A declared secret reference after defaults: the account's secrets or a named provider-app secret. */
export interface SecretSource {
  source: 'account' | 'app_secret';
  name?: string | undefined;
}

/**
 * The active secrets a check may match, from the account (default) or the provider app. An empty list
 * is a configuration gap on our side, answered with its own code so an operator knows what to set.
 */
export function resolveSecrets(ref: SecretSource, ctx: VerifyContext): { ok: true; secrets: readonly string[] } | VerifyFailure {
  if (ref.source === 'account') {
    const secrets = ctx.secrets.filter((secret) => secret !== '');
    return secrets.length > 0 ? { ok: true, secrets } : refuse('SWY_ERR_WEBHOOK_SECRET_UNSET', 'set webhook_secret on the integrated account');
  }
  const secrets = (ctx.appSecrets?.[ref.name ?? ''] ?? []).filter((secret) => secret !== '');
  return secrets.length > 0 ? { ok: true, secrets } : refuse('SWY_ERR_APP_SECRET_UNSET', `set the provider app secret '${ref.name}'`);
}

/** HMAC key bytes from a stored secret. */
export function keyBytes(secret: string, format: z.infer<typeof KeyFormat>): Buffer {
  switch (format) {
    case 'text':
      return Buffer.from(secret, 'utf8');
    case 'base64':
      return Buffer.from(secret, 'base64');
    case 'whsec':
      return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  }
}
