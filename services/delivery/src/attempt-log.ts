import { headers as natsHeaders } from '@nats-io/transport-node';
import { attemptSubject, type api } from '@switchyard/contracts';
import { publishDurable, STREAMS, TASK_HEADERS, type Bus } from '@switchyard/bus';


/**
 * Appends an attempt to ATTEMPTS (deduplicated by task and attempt number), on the task's own subject
 * (`attempts.<subscription>.<event>.<task>`), so "how many attempts has this task had" is the last
 * message on one subject.
 */
export async function recordAttempt(bus: Bus, attempt: api.DeliveryAttempt, deadlineMs: number): Promise<void> {
  const h = natsHeaders();
  h.set(TASK_HEADERS.outcome, attempt.outcome);
  await publishDurable(
    bus.js,
    attemptSubject(attempt.subscription_id, attempt.event_id, attempt.task_id),
    JSON.stringify(attempt),
    { msgID: `${attempt.event_id}:${attempt.subscription_id}:${attempt.task_id}:${attempt.attempt}`, headers: h },
    deadlineMs,
  );
}

/**
 * How many attempts a task has had, from the attempt log. JetStream's delivery count cannot say: a
 * task handed back because its endpoint is paused or at its limit was redelivered without an attempt.
 * A crash mid-attempt leaves no record, so that attempt is made again under the same number.
 */
export async function attemptsSoFar(bus: Bus, subscriptionId: string, eventId: string, taskId: string): Promise<number> {
  const last = await bus.jsm.streams.getMessage(STREAMS.ATTEMPTS, { last_by_subj: attemptSubject(subscriptionId, eventId, taskId) });
  if (!last) return 0;
  return (last.json() as api.DeliveryAttempt).attempt;
}
