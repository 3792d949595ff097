import { headers as natsHeaders } from '@nats-io/transport-node';
import { operationalSubject, type OperationalEvent, type OperationalEventType } from '@switchyard/contracts';
import type { Bus } from './bus.js';
import { TASK_HEADERS } from './bus-headers.js';
import { deterministicId } from '@switchyard/kernel';
import { publishDurable } from './publish.js';

/**
 * Publishes an event about the hub itself on EVENTS, where fan-out delivers it like any event to the
 * subscriptions that ask for its type. `key` makes the id deterministic: the same occurrence published
 * twice (a retried handler) is one event.
 */
export async function publishOperationalEvent(
  bus: Bus,
  input: { type: OperationalEventType; environmentId: string; key: string; data: Record<string, unknown> },
  deadlineMs = 5_000,
): Promise<OperationalEvent> {
  const event: OperationalEvent = {
    id: deterministicId('evt', ['operational', input.type, input.environmentId, input.key]),
    type: input.type,
    timestamp: new Date().toISOString(),
    environment_id: input.environmentId,
    data: input.data,
  };
  const h = natsHeaders();
  h.set(TASK_HEADERS.eventType, event.type);
  await publishDurable(bus.js, operationalSubject(input.environmentId, input.type), JSON.stringify(event), { msgID: event.id, headers: h }, deadlineMs);
  return event;
}
