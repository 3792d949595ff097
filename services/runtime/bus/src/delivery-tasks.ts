import { headers as natsHeaders } from '@nats-io/transport-node';
import { deliverySubject } from '@switchyard/contracts';
import type { Bus } from './bus.js';
import { TASK_HEADERS } from './bus-headers.js';
import { publishDurable } from './publish.js';

/** One delivery task to put on DELIVERIES. */
export interface DeliveryTask {
  subscriptionId: string;
  eventId: string;
  eventType: string;
  /**
   * Names the task among the event's tasks for this subscription (a subject token): `o` for the
   * fan-out, `r-…` for a resend, `c-…` for a recovery, `t-…` for a test. Same task id, same task.
   */
  taskId: string;
  /** The event's sequence in EVENTS, when it came from there. */
  eventSeq?: number | undefined;
  /** The envelope bytes, delivered as they are. */
  body: Uint8Array;
}

/**
 * Enqueues a delivery task on `deliveries.<subscription>`. The message id is (event, subscription,
 * task), so enqueueing the same task twice, e.g. a fan-out re-run after a crash, delivers it once.
 */
export async function enqueueDelivery(bus: Bus, task: DeliveryTask, deadlineMs: number): Promise<{ duplicate: boolean }> {
  const h = natsHeaders();
  h.set(TASK_HEADERS.eventId, task.eventId);
  h.set(TASK_HEADERS.subscription, task.subscriptionId);
  h.set(TASK_HEADERS.eventType, task.eventType);
  h.set(TASK_HEADERS.taskId, task.taskId);
  if (task.eventSeq !== undefined) h.set(TASK_HEADERS.eventSeq, String(task.eventSeq));
  const ack = await publishDurable(bus.js, deliverySubject(task.subscriptionId), task.body, { msgID: `${task.eventId}:${task.subscriptionId}:${task.taskId}`, headers: h }, deadlineMs);
  return { duplicate: ack.duplicate };
}
