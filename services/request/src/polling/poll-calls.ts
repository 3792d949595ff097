import { headers as natsHeaders } from '@nats-io/transport-node';
import { rawSubject } from '@switchyard/contracts';
import { publishDurable, RAW_HEADERS, writeTrace, type Bus } from '@switchyard/bus';
import { sha256Hex } from '@switchyard/kernel';
import type { MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer, RegistrationCalls, RegistrationTarget } from '@switchyard/provider-client';
import { RegistrationFailed } from '../registration/outcome.js';
import type { PollStore } from './store.js';

/** What a poll run works with. */
export interface PollParts {
  bus: Bus;
  engine: MappingEngine;
  /** Provider calls: the same declared-call client as registration (auth, governor, rate-limit signals). */
  calls: RegistrationCalls;
  store: PollStore;
  publishTimeoutMs: number;
  /**
   * Extends the account's poll lock; called between messages and pages so a long run (a first
   * backfill) keeps it. False when another replica took it over: the run stops there.
   */
  keepLock: () => Promise<boolean>;
}

/** Stops a run whose account lock was taken over (its state is consistent up to the last message or page). */
export async function stillHeld(parts: Pick<PollParts, 'keepLock'>, slug: string): Promise<void> {
  if (!(await parts.keepLock())) throw new RegistrationFailed('SWY_ERR_POLL_LOCK_LOST', `${slug}: the account's poll lock was taken over; the run stopped`);
}

/**
 * Publishes one polled payload to RAW, as the edge publishes a verified webhook, with `origin: poll`
 * (or `reconcile`: a change a push provider's webhook never announced), in the poll run's trace.
 */
export async function publishPolled(parts: Pick<PollParts, 'bus' | 'publishTimeoutMs'>, target: RegistrationTarget, eventKey: string, body: unknown, origin: 'poll' | 'reconcile' = 'poll'): Promise<void> {
  const { account, provider } = target;
  const h = natsHeaders();
  h.set(RAW_HEADERS.provider, provider.definition.slug);
  h.set(RAW_HEADERS.account, account.id);
  h.set(RAW_HEADERS.environment, account.environment_id);
  h.set(RAW_HEADERS.receivedAt, new Date().toISOString());
  h.set(RAW_HEADERS.contentType, 'application/json');
  h.set(RAW_HEADERS.eventKey, eventKey);
  h.set(RAW_HEADERS.origin, origin);
  h.set(RAW_HEADERS.polled, '1');
  writeTrace(h, target.trace);
  const msgID = `${account.id}:${origin}:${sha256Hex(eventKey).slice(0, 40)}`;
  await publishDurable(parts.bus.js, rawSubject({ provider: provider.definition.slug, account: account.id }), JSON.stringify(body), { msgID, headers: h }, parts.publishTimeoutMs);
}

/** The JSONata scope every poll call sees (plus what the source adds). */
export function scopeOf(target: RegistrationTarget): Record<string, unknown> {
  return { account: { id: target.account.id, config: target.account.config } };
}

/** A poll call's answer when it is a success (or an allowed status); else the coded failure. */
export function checked(slug: string, what: string, answer: RegistrationAnswer, allow: number[] = []): RegistrationAnswer {
  const status = { providerStatus: answer.status };
  if (answer.rateLimit.throttled) {
    const after = answer.rateLimit.retryAfterS;
    throw new RegistrationFailed('SWY_ERR_PROVIDER_RATE_LIMITED', `${slug} is rate limiting the poll (${what})`, { ...status, retryAfterMs: after === undefined ? undefined : after * 1000 });
  }
  if (allow.includes(answer.status) || answer.status < 400) return answer;
  if (answer.status === 401 || answer.status === 403) throw new RegistrationFailed('SWY_ERR_PROVIDER_UNAUTHORIZED', `${slug} refused the account's credentials on the poll (${what}, ${answer.status})`, status);
  throw new RegistrationFailed('SWY_ERR_PROVIDER_ERROR', `${slug} answered ${answer.status} to the poll (${what})`, status);
}

/** A string or number the expression must give, else a coded error. */
export async function required(engine: MappingEngine, name: string, expression: string, view: unknown, slug: string, what: string, providerStatus: number): Promise<string> {
  const value = await engine.evaluate(name, expression, view).catch(() => undefined);
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug}'s queue message has no ${what}`, { providerStatus });
}
