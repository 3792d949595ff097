import { headers as natsHeaders } from '@nats-io/transport-node';
import { deliveryRetrySubject, deliverySubject } from '@switchyard/contracts';
import type { TraceContext } from '@switchyard/kernel';
import type { Bus } from './bus.js';
import { TASK_HEADERS } from './bus-headers.js';
import { publishDurable } from './publish.js';
import { writeTrace } from './trace-headers.js';

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
  /** For an ordered subscription: the event's record order key and `sequence` (docs/ordering.md). */
  order?: { record: string; sequence: number } | undefined;
  /** The envelope bytes, delivered as they are. */
  body: Uint8Array;
  /** The trace the task belongs to (fan-out's span, or the event's traceparent): the delivery POST carries it on. */
  trace?: TraceContext | undefined;
}

/**
 * Enqueues a delivery task on its subscription's lane (`deliveries.q.<shard>.<subscription>`). The message id is (event, subscription,
 * task), so enqueueing the same task twice, e.g. a fan-out re-run after a crash, delivers it once.
 */
export async function enqueueDelivery(bus: Bus, task: DeliveryTask, deadlineMs: number): Promise<{ duplicate: boolean }> {
  const h = natsHeaders();
  h.set(TASK_HEADERS.eventId, task.eventId);
  h.set(TASK_HEADERS.subscription, task.subscriptionId);
  h.set(TASK_HEADERS.eventType, task.eventType);
  h.set(TASK_HEADERS.taskId, task.taskId);
  if (task.eventSeq !== undefined) h.set(TASK_HEADERS.eventSeq, String(task.eventSeq));
  if (task.order) {
    h.set(TASK_HEADERS.record, task.order.record);
    h.set(TASK_HEADERS.sequence, String(task.order.sequence));
  }
  writeTrace(h, task.trace);
  const ack = await publishDurable(bus.js, deliverySubject(task.subscriptionId), task.body, { msgID: `${task.eventId}:${task.subscriptionId}:${task.taskId}`, headers: h }, deadlineMs);
  return { duplicate: ack.duplicate };
}

/** A task that failed and waits: what it is (its headers), how many attempts it had, when it is due. */
export interface RetryTask {
  subscriptionId: string;
  eventId: string;
  taskId: string;
  /** The task's headers as it arrived (event, type, sequence, trace context...). */
  headers: Record<string, string>;
  attempts: number;
  notBefore: number;
  body: Uint8Array;
  /** Tells a deliberate new copy of the same attempt state from a repeat (an ordered record's queue moving on). */
  copy?: string | undefined;
}

/**
 * Moves a failed (or deferred) task to its subscription's retry lane (`deliveries.q.<shard>.<subscription>.r`), due at
 * `notBefore`. The caller acks the original only after this resolves, so a crash in between retries
 * the attempt rather than losing the task; the message id (task and attempt count) dedupes a repeat.
 * Resolves to the copy's stream sequence.
 */
export async function enqueueRetry(bus: Bus, task: RetryTask, deadlineMs: number): Promise<number> {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(task.headers)) if (name !== TASK_HEADERS.attempts && name !== TASK_HEADERS.notBefore) h.set(name, value);
  h.set(TASK_HEADERS.attempts, String(task.attempts));
  h.set(TASK_HEADERS.notBefore, String(task.notBefore));
  const msgID = `${task.eventId}:${task.subscriptionId}:${task.taskId}:a${task.attempts}${task.copy ? `:${task.copy}` : ''}`;
  const ack = await publishDurable(bus.js, deliveryRetrySubject(task.subscriptionId), task.body, { msgID, headers: h }, deadlineMs);
  return ack.seq;
}
