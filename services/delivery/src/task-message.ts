import type { JsMsg } from '@nats-io/jetstream';
import { TASK_HEADERS, TRACE_HEADERS } from '@switchyard/bus';
import { traceContextOf, type TraceContext } from '@switchyard/kernel';

/** What a task's headers say. */
export interface Task {
  eventId: string;
  eventType: string;
  subscriptionId: string;
  taskId: string;
  eventSeq: number | null;
  /** Retry lane only: attempts made so far, and when the next is due (ms since the epoch). */
  attempts: number | null;
  notBefore: number | null;
  /** Ordered subscriptions only: the record's order key and the event's `sequence`. */
  record: string | null;
  sequence: number | null;
  /** The task's own headers, carried onto its dead letter so recovery can rebuild it. */
  headers: Record<string, string>;
  /** The trace the task belongs to, from its headers. */
  trace: TraceContext | undefined;
}

/** Headers a task carries from lane to lane and onto its dead letter. */
export const CARRIED: readonly string[] = [...Object.values(TASK_HEADERS), ...Object.values(TRACE_HEADERS)];
const CARRIED_SET: ReadonlySet<string> = new Set(CARRIED);

/** A delivery task message's headers as a {@link Task}. */
export function readTask(message: JsMsg): Task {
  // One pass over the headers: nats.js's get() copies the key list on every call.
  const headers: Record<string, string> = {};
  if (message.headers) for (const [name, values] of message.headers) if (values[0] && CARRIED_SET.has(name)) headers[name] = values[0];
  const number = (name: string) => (headers[name] ? Number(headers[name]) : null);
  return {
    eventId: headers[TASK_HEADERS.eventId] ?? '',
    eventType: headers[TASK_HEADERS.eventType] ?? '',
    subscriptionId: headers[TASK_HEADERS.subscription] ?? '',
    taskId: headers[TASK_HEADERS.taskId] || 'o',
    eventSeq: number(TASK_HEADERS.eventSeq),
    attempts: number(TASK_HEADERS.attempts),
    notBefore: number(TASK_HEADERS.notBefore),
    record: headers[TASK_HEADERS.record] || null,
    sequence: number(TASK_HEADERS.sequence),
    headers,
    trace: traceContextOf(headers[TRACE_HEADERS.traceparent], headers[TRACE_HEADERS.tracestate]),
  };
}
