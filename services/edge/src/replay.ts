import type { Bus } from '@switchyard/bus';
import type { VerificationScheme, WebhookDefinition } from '@switchyard/contracts';

type KV = Bus['kv']['replay_keys'];

/**
 * Whether a webhook's verification bounds its age: a signed timestamp within a tolerance (HMAC or digest
 * schemes with a `timestamp` rule) or a JWT that must carry `exp` or is capped by `max_age_s`. Those
 * refuse a late replay themselves; the others are only as replay-safe as the dedupe keys we keep.
 */
export function verificationBoundsAge(webhook: WebhookDefinition): boolean {
  return webhook.verify.some(boundsAge);
}

/** One check's part of {@link verificationBoundsAge}: an `any_of` group only when each alternative does. */
function boundsAge(check: VerificationScheme): boolean {
  if (check.scheme === 'hmac' || check.scheme === 'digest') return check.timestamp !== undefined;
  if (check.scheme === 'jwt') return check.required_claims.includes('exp') || check.max_age_s !== undefined;
  if (check.scheme === 'any_of') return check.of.every(boundsAge);
  return false;
}

/**
 * Long-lived replay keys for providers whose verification bounds no age. JetStream's duplicate window
 * on RAW (1 h at most) forgets a delivery key long before a signed-but-timeless body stops verifying,
 * so each accepted key is also kept in the `replay_keys` bucket, whose TTL is RAW's retention.
 * A key found there is answered like a provider retry (2xx, `duplicate: true`) and stored nothing:
 * a genuine late retry must get a 2xx or the provider keeps retrying and may disable the webhook,
 * and a replay by anyone else is dropped either way.
 */
export class ReplayKeys {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Whether a delivery with this message id was accepted within RAW's retention. */
  async seen(msgId: string): Promise<boolean> {
    const entry = await this.#kv.get(replayKey(msgId));
    return entry !== null && entry.operation === 'PUT';
  }

  /** Remembers an accepted delivery's message id for RAW's retention (the bucket's TTL). */
  async remember(msgId: string, receivedAt: string): Promise<void> {
    await this.#kv.put(replayKey(msgId), receivedAt);
  }
}

/** The bucket key of a RAW message id (`<account>:<hash>`; KV keys take no `:`). */
export function replayKey(msgId: string): string {
  return msgId.replace(':', '.');
}
