import type { QueueSource } from '@switchyard/contracts';
import type { RegistrationTarget } from '@switchyard/provider-client';
import { RegistrationFailed } from '../registration/outcome.js';
import { checked, publishPolled, required, scopeOf, stillHeld, type PollParts } from './poll-calls.js';
import type { PollRecord } from './store.js';

/**
 * Drains up to `max_per_run` messages of one account's provider queue. Each message goes to RAW (origin
 * `poll`, message id from the change's key) and is acknowledged at the provider only after JetStream
 * stored it and the state records it as published; a crash or a failed acknowledgement leaves the head
 * at the provider, and the next run, finding it already published, only acknowledges it. Returns the
 * state after the run; throws a coded {@link RegistrationFailed} (state written up to the last message).
 */
export async function drainQueue(parts: PollParts, target: RegistrationTarget, resource: string, source: QueueSource, start: PollRecord): Promise<PollRecord> {
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
      await publishPolled(parts, target, eventKey, answer.body);
      record = await parts.store.put({ ...record, head: { message_id: messageId, event_key: eventKey, published_at: new Date().toISOString() }, events_emitted: record.events_emitted + 1 });
    }
    // 404: someone (a previous run whose answer was lost) already removed it.
    checked(slug, 'ack', await parts.calls.send(target, `polling.${resource}.ack`, source.ack, scopeOf(target), messageId), [404]);
    record = await parts.store.put({ ...record, head: null });
    await stillHeld(parts, slug);
  }
  return record;
}
