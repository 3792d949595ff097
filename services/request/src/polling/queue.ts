import { headers as natsHeaders } from '@nats-io/transport-node';
import { rawSubject, type QueueSource } from '@switchyard/contracts';
import { publishDurable, RAW_HEADERS, type Bus } from '@switchyard/bus';
import { sha256Hex } from '@switchyard/kernel';
import type { LoadedProvider, MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer, RegistrationCalls, RegistrationTarget } from '@switchyard/provider-client';
import { RegistrationFailed } from '../registration/outcome.js';
import type { PollRecord, PollStore } from './store.js';

/** What a queue drain works with. */
export interface QueueParts {
  bus: Bus;
  engine: MappingEngine;
  /** Provider calls: the same declared-call client as registration (auth, governor, rate-limit signals). */
  calls: RegistrationCalls;
  store: PollStore;
  publishTimeoutMs: number;
}

/**
 * Drains up to `max_per_run` messages of one account's provider queue. Each message goes to RAW (origin
 * `poll`, message id from the change's key) and is acknowledged at the provider only after JetStream
 * stored it and the state records it as published; a crash or a failed acknowledgement leaves the head
 * at the provider, and the next run, finding it already published, only acknowledges it. Returns the
 * state after the run; throws a coded {@link RegistrationFailed} (state written up to the last message).
 */
export async function drainQueue(parts: QueueParts, target: RegistrationTarget, resource: string, source: QueueSource, start: PollRecord): Promise<PollRecord> {
  const slug = target.provider.definition.slug;
  const where = `${slug}/provider.json#polling.resources.${resource}.source`;
  let record = start;
  for (let taken = 0; taken < source.max_per_run; taken++) {
    const answer = checked(slug, 'next', await parts.calls.send(target, `polling.${resource}.next`, source.next, scopeOf(target)));
    const view = { status: answer.status, headers: answer.headers, body: answer.body };
    if (await parts.engine.evaluate(`${where}.empty`, source.empty, view)) break;
    if (answer.malformed || answer.body === undefined) throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug} answered the queue read with a body that is not JSON`, { providerStatus: answer.status });
    const messageId = await required(parts.engine, `${where}.message_id`, source.message_id, view, slug, 'message id', answer.status);
    const eventKey = await required(parts.engine, `${where}.event_key`, source.event_key, view, slug, 'event key', answer.status);
    if (record.head?.message_id !== messageId) {
      await publishPolled(parts, target.provider, target, eventKey, answer.body);
      record = await parts.store.put({ ...record, head: { message_id: messageId, event_key: eventKey, published_at: new Date().toISOString() }, events_emitted: record.events_emitted + 1 });
    }
    // 404: someone (a previous run whose answer was lost) already removed it.
    checked(slug, 'ack', await parts.calls.send(target, `polling.${resource}.ack`, source.ack, scopeOf(target), messageId), [404]);
    record = await parts.store.put({ ...record, head: null });
  }
  return record;
}

/** Publishes one polled payload to RAW, as the edge publishes a verified webhook, with `origin: poll`. */
async function publishPolled(parts: QueueParts, provider: LoadedProvider, target: RegistrationTarget, eventKey: string, body: unknown): Promise<void> {
  const { account } = target;
  const h = natsHeaders();
  h.set(RAW_HEADERS.provider, provider.definition.slug);
  h.set(RAW_HEADERS.account, account.id);
  h.set(RAW_HEADERS.environment, account.environment_id);
  h.set(RAW_HEADERS.receivedAt, new Date().toISOString());
  h.set(RAW_HEADERS.contentType, 'application/json');
  h.set(RAW_HEADERS.eventKey, eventKey);
  h.set(RAW_HEADERS.origin, 'poll');
  const msgID = `${account.id}:poll:${sha256Hex(eventKey).slice(0, 40)}`;
  await publishDurable(parts.bus.js, rawSubject({ provider: provider.definition.slug, account: account.id }), JSON.stringify(body), { msgID, headers: h }, parts.publishTimeoutMs);
}

function scopeOf(target: RegistrationTarget): Record<string, unknown> {
  return { account: { id: target.account.id, config: target.account.config } };
}

/** A poll call's answer when it is a success (or an allowed status); else the coded failure. */
function checked(slug: string, what: string, answer: RegistrationAnswer, allow: number[] = []): RegistrationAnswer {
  const status = { providerStatus: answer.status };
  if (answer.rateLimit.throttled) {
    const after = answer.rateLimit.retryAfterS;
    throw new RegistrationFailed('SWY_ERR_PROVIDER_RATE_LIMITED', `${slug} is rate limiting the poll (${what})`, { ...status, retryAfterMs: after === undefined ? undefined : after * 1000 });
  }
  if (allow.includes(answer.status) || answer.status < 400) return answer;
  if (answer.status === 401 || answer.status === 403) throw new RegistrationFailed('SWY_ERR_PROVIDER_UNAUTHORIZED', `${slug} refused the account's credentials on the poll (${what}, ${answer.status})`, status);
  throw new RegistrationFailed('SWY_ERR_PROVIDER_ERROR', `${slug} answered ${answer.status} to the poll (${what})`, status);
}

async function required(engine: MappingEngine, name: string, expression: string, view: unknown, slug: string, what: string, providerStatus: number): Promise<string> {
  const value = await engine.evaluate(name, expression, view).catch(() => undefined);
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug}'s queue message has no ${what}`, { providerStatus });
}
