import type { JsMsg } from '@nats-io/jetstream';
import type { api, ErrorCode } from '@switchyard/contracts';
import { enqueueRetry, publishDeadLetter, publishOperationalEvent, RAW_HEADERS, STREAMS, TASK_HEADERS, terminate, TRACE_HEADERS } from '@switchyard/bus';
import type { Closeable, TraceSpan } from '@switchyard/kernel';
import type { DeliveryParts } from './parts.js';
import { activeKeys, type SubscriptionRecord } from '@switchyard/stores';
import { attemptsSoFar, recordAttempt } from './attempt-log.js';
import { startDeliveryLanes, type LaneTuning } from './delivery-lanes.js';
import type { EndpointGate } from './endpoint-gate.js';
import type { QueuedTask, RecordOrder } from './record-order.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import { Slots } from './slots.js';
import { decide, type Decision } from './retry-policy.js';
import type { Sender } from './sender.js';
import { signatureHeader } from './signer.js';
import { CARRIED, readTask, type Task } from './task-message.js';

/** Worker tuning, from the delivery configuration. */
export interface DeliveryWorkerOptions {
  /** Attempts in flight at once in this process, over every endpoint. */
  concurrency: number;
  /** Attempts in flight per endpoint, across every delivery process. */
  endpointConcurrency: number;
  timeoutMs: number;
  /** Delay before each retry, in ms; its length is the number of retries after the first attempt. */
  scheduleMs: readonly number[];
  jitter: number;
  /** A failure streak this long disables the endpoint, in ms. */
  disableAfterMs: number;
  /** How often a paused endpoint's held tasks look again, in ms. */
  pauseRecheckMs: number;
  publishTimeoutMs: number;
  userAgent: string;
  /** Lane tuning (tests, benches); defaults suit production. */
  lanes?: Partial<LaneTuning>;
}

/** Which lane a task came from: new tasks, or the retry lane (retries, and tasks stepped aside). */
export type LaneKind = 'tasks' | 'retries';

/** What a delivery shard's holder keeps for it: the endpoints' in-flight caps and the records' order. */
export interface ShardState {
  gate: EndpointGate;
  order: RecordOrder;
}

/**
 * DELIVERIES → customer endpoints. Each attempt is signed afresh (Standard Webhooks, the attempt's
 * timestamp, every active key) and recorded in ATTEMPTS. Retries wait in the retry lane (JetStream
 * redelivery with a delay, never a timer): a killed worker loses nothing. Tasks are sharded
 * (delivery-lanes.ts): a shard is held by one process at a time, which caps each endpoint's attempts in
 * flight (endpoint-gate.ts); a task that would wait behind a slow endpoint steps aside into the retry
 * lane, so a slow or dead endpoint holds only its own tasks. The endpoint's place is freed as soon as its
 * POST answers; the attempt record and the ack follow without holding it (pipelined, same durability:
 * the task is acked only after its record is stored).
 */
export async function startDeliveryWorker(ctx: DeliveryParts, sender: Sender, options: DeliveryWorkerOptions): Promise<Closeable> {
  const { subscriptions } = ctx;
  const limiter = new EndpointLimiter();
  const slots = new Slots(options.concurrency);
  const policy = { scheduleMs: options.scheduleMs, jitter: options.jitter };

  const deadLetter = async (message: JsMsg, subscription: SubscriptionRecord, task: Task, code: ErrorCode, detail: string) => {
    await publishDeadLetter(
      ctx.bus,
      {
        stage: 'delivery',
        place: { subscription: subscription.id },
        data: message.data,
        msgId: `delivery:${task.eventId}:${subscription.id}:${task.taskId}`,
        code,
        detail,
        // The environment lets GET /v1/dead-letters?stage=delivery show it to its tenant only.
        headers: [...Object.entries(task.headers), [RAW_HEADERS.environment, subscription.environment_id]],
      },
      options.publishTimeoutMs,
    );
  };

  const disable = async (subscription: SubscriptionRecord, reason: 'endpoint_gone' | 'failing') => {
    await subscriptions.setStatus(subscription, 'disabled', reason);
    await publishOperationalEvent(
      ctx.bus,
      {
        type: 'webhook/endpoint:disabled',
        environmentId: subscription.environment_id,
        // The record before the change: workers disabling it at once publish one event.
        key: `${subscription.id}:${subscription.updated_at}`,
        data: { subscription_id: subscription.id, url: subscription.url, reason, failing_since: subscription.failing_since },
      },
      options.publishTimeoutMs,
    );
    ctx.logger.warn({ subscription: subscription.id, reason }, 'endpoint disabled');
  };

  /**
   * Moves a task to the retry lane, due in `delayMs`, without an attempt; acked once it is there. A task
   * of an ordered subscription first joins its record's queue, so the record's later tasks wait behind it.
   */
  const stepAside = async (message: JsMsg, task: Task, delayMs: number, lane: LaneKind, order: RecordOrder) => {
    await joinQueue(order, task, Date.now() + delayMs);
    if (lane === 'retries') {
      message.nak(delayMs);
      return;
    }
    const attempts = await attemptsBefore(message, task);
    const copy = await enqueueRetry(
      ctx.bus,
      { subscriptionId: task.subscriptionId, eventId: task.eventId, taskId: task.taskId, headers: task.headers, attempts, notBefore: Date.now() + delayMs, body: message.data },
      options.publishTimeoutMs,
    );
    if (task.record) order.copied(task.subscriptionId, task.record, task.eventId, task.taskId, copy);
    message.ack();
  };

  const joinQueue = async (order: RecordOrder, task: Task, due: number) => {
    if (task.record) await order.join(task.subscriptionId, task.record, { event: task.eventId, task: task.taskId, sequence: task.sequence ?? 0, due });
  };
  /** Takes a finished task out of its record's queue; the record's next task, if it was only waiting for this one, goes now. */
  const finishQueued = async (order: RecordOrder, task: Task) => {
    if (!task.record) return;
    const next = await order.finish(task.subscriptionId, task.record, task.eventId, task.taskId);
    if (next) void moveOn(order, task.subscriptionId, task.record, next).catch((error: unknown) => ctx.logger.warn({ err: error, subscription: task.subscriptionId }, 'ordered record’s next task not moved on; it goes at its next look'));
  };
  /**
   * A fresh copy of a queue's new head in the retry lane, due now: its own copy sleeps until its next
   * look (up to 30 s), and a record with many waiting events would otherwise drain one look at a time.
   * The older copy is dropped when it comes up (RecordOrder.turn).
   */
  const moveOn = async (order: RecordOrder, subscriptionId: string, record: string, next: QueuedTask) => {
    const stored = await ctx.bus.jsm.streams.getMessage(STREAMS.DELIVERIES, { seq: next.copy });
    if (!stored) return;
    const headers: Record<string, string> = {};
    for (const name of CARRIED) {
      const value = stored.header?.get(name);
      if (value) headers[name] = value;
    }
    const copy = await enqueueRetry(
      ctx.bus,
      { subscriptionId, eventId: next.event, taskId: next.task, headers, attempts: Number(headers[TASK_HEADERS.attempts] ?? 0), notBefore: Date.now(), body: stored.data, copy: `m${next.copy}` },
      options.publishTimeoutMs,
    );
    order.copied(subscriptionId, record, next.event, next.task, copy);
  };

  /**
   * One task, in its lane. Tasks of ordered subscriptions (docs/ordering.md) carry their record: in the
   * task lane they chain behind the record's previous task (stepping aside into the record's queue when
   * that takes longer than the endpoint wait, or when the record already has a queue); in the retry
   * lane only the head of the record's queue is attempted.
   */
  const handle = async (message: JsMsg, shard: ShardState, lane: LaneKind) => {
    const task = readTask(message);
    if (!task.record) return attempt(message, task, shard, lane);
    if (lane === 'tasks') {
      const link = shard.order.enter(task.subscriptionId, task.record);
      try {
        const inTime = await Promise.race([link.ready.then(() => true), sleep(tuningMaxWaitMs).then(() => false)]);
        if (!inTime || shard.order.waiting(task.subscriptionId, task.record)) {
          await stepAside(message, task, 0, lane, shard.order);
          return;
        }
        await attempt(message, task, shard, lane);
      } finally {
        link.leave();
      }
      return;
    }
    if (task.notBefore !== null && task.notBefore > Date.now()) {
      message.nak(task.notBefore - Date.now());
      return;
    }
    const turn = shard.order.turn(task.subscriptionId, task.record, task.eventId, task.taskId, message.seq);
    if (turn.kind === 'gone') {
      ctx.logger.info({ subscription: task.subscriptionId, event: task.eventId }, 'ordered task already finished; copy dropped');
      terminate(message, 'already finished');
      return;
    }
    if (turn.kind === 'behind') {
      message.nak(turn.retryInMs);
      return;
    }
    try {
      await attempt(message, task, shard, lane);
    } finally {
      shard.order.attempted(task.subscriptionId, task.record);
    }
  };

  const attempt = async (message: JsMsg, task: Task, { gate, order }: ShardState, lane: LaneKind) => {
    if (task.notBefore !== null && task.notBefore > Date.now()) {
      // A retry-lane task not yet due: back to the lane until then (it holds no place of the endpoint's).
      message.nak(task.notBefore - Date.now());
      return;
    }
    const subscription = await subscriptions.get(task.subscriptionId);
    if (!subscription) {
      ctx.logger.info({ subscription: task.subscriptionId, event: task.eventId }, 'subscription deleted; task dropped');
      await finishQueued(order, task);
      terminate(message, 'subscription deleted');
      return;
    }
    if (subscription.status === 'paused') {
      // Held in the retry lane, looking again every recheck, until the endpoint is resumed.
      await stepAside(message, task, options.pauseRecheckMs, lane, order);
      return;
    }
    if (subscription.status === 'disabled') {
      await deadLetter(message, subscription, task, 'SWY_ERR_ENDPOINT_DISABLED', `endpoint disabled (${subscription.disabled_reason ?? 'unknown'})`);
      await finishQueued(order, task);
      terminate(message, 'endpoint disabled');
      return;
    }
    const turn = await gate.enter(subscription.id, options.endpointConcurrency);
    if (turn === 'cancelled') {
      message.nak(); // this process is handing the shard over: the next holder takes the task now
      return;
    }
    if (turn === 'defer') {
      ctx.metrics.deliveryDeferrals.inc();
      await stepAside(message, task, deferDelayMs(message.info.deliveryCount), lane, order);
      return;
    }
    let posted: Posted;
    try {
      await limiter.take(subscription.id, subscription.rate_limit);
      await slots.acquire();
      try {
        posted = await post(message, subscription, task);
      } finally {
        slots.release();
      }
    } finally {
      gate.leave(subscription.id);
    }
    await settle(message, subscription, task, posted, order);
  };

  /**
   * Attempts made per task, as this process last recorded them: a task handed back without an attempt
   * comes back with a higher delivery count, and this saves asking the attempt log. Bounded; a miss
   * (another process, a restart) falls back to the log.
   */
  const knownAttempts = new Map<string, number>();
  const attemptsBefore = async (message: JsMsg, task: Task) => {
    const key = `${task.subscriptionId}:${task.eventId}:${task.taskId}`;
    // A retry-lane task says how many attempts it had; its delivery count also counts the waits.
    if (task.attempts !== null) return Math.max(task.attempts, knownAttempts.get(key) ?? 0);
    if (message.info.deliveryCount === 1) return 0;
    return knownAttempts.get(key) ?? attemptsSoFar(ctx.bus, task.subscriptionId, task.eventId, task.taskId);
  };

  /**
   * The POST of one attempt, signed for this attempt's timestamp. With tracing on it is a `deliver`
   * client span under the task's trace, and the endpoint receives that span's traceparent; off, the
   * traceparent the event came with (if any) goes on unchanged.
   */
  const post = async (message: JsMsg, subscription: SubscriptionRecord, task: Task): Promise<Posted> => {
    const attempt = (await attemptsBefore(message, task)) + 1;
    const timestamp = Math.floor(Date.now() / 1000);
    const span = ctx.tracer.start('deliver', 'client', task.trace);
    if (span.recording) describeDelivery(span, subscription, task, attempt);
    const headers: Record<string, string> = {
      ...subscriptions.headers(subscription),
      'content-type': 'application/json',
      'user-agent': options.userAgent,
      'webhook-id': task.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(activeKeys(subscriptions.keys(subscription)), task.eventId, timestamp, message.data),
    };
    const trace = span.context ?? task.trace;
    if (trace) {
      headers[TRACE_HEADERS.traceparent] = trace.traceparent;
      if (trace.tracestate) headers[TRACE_HEADERS.tracestate] = trace.tracestate;
    }
    const result = await sender.post(subscription.url, headers, message.data);
    if (span.recording) {
      if (result.status > 0) span.set('http.response.status_code', result.status);
      // Redirects are not followed: anything but a 2xx is a failed attempt.
      if (result.errorClass) span.fail(result.errorClass);
      else if (result.status < 200 || result.status >= 300) span.fail(String(result.status));
    }
    span.end();
    return { attempt, result };
  };

  /** After the POST: the endpoint's failure streak, the attempt record, then ack, retry lane or dead letter. */
  const settle = async (message: JsMsg, subscription: SubscriptionRecord, task: Task, { attempt, result }: Posted, order: RecordOrder) => {
    let decision: Decision = decide(result, attempt, policy);
    let current = subscription;
    if (decision.kind === 'delivered') current = await subscriptions.setFailingSince(subscription, null);
    else current = await subscriptions.setFailingSince(subscription, subscription.failing_since ?? new Date().toISOString());
    const streak = current.failing_since ? Date.now() - Date.parse(current.failing_since) : 0;
    const disableFor = decision.kind === 'gone' ? 'endpoint_gone' : decision.kind !== 'delivered' && streak >= options.disableAfterMs ? 'failing' : null;
    if (disableFor && decision.kind === 'retry') decision = { kind: 'exhausted' };

    const outcome = decision.kind === 'delivered' ? 'delivered' : decision.kind === 'retry' ? 'failed' : 'dead';
    ctx.metrics.deliveries.inc({ outcome });
    ctx.metrics.deliveryLatency.observe(result.latencyMs / 1000);
    const record: api.DeliveryAttempt = {
      environment_id: subscription.environment_id,
      subscription_id: subscription.id,
      event_id: task.eventId,
      event_type: task.eventType,
      task_id: task.taskId,
      event_seq: task.eventSeq,
      attempt,
      status: result.status,
      outcome,
      latency_ms: Math.round(result.latencyMs),
      error_class: result.errorClass ?? null,
      response_excerpt: result.responseExcerpt ?? null,
      next_attempt_in_ms: decision.kind === 'retry' ? decision.delayMs : null,
      at: new Date().toISOString(),
    };
    await recordAttempt(ctx.bus, record, options.publishTimeoutMs);
    const taskKey = `${subscription.id}:${task.eventId}:${task.taskId}`;
    if (decision.kind === 'retry') {
      if (knownAttempts.size >= 100_000) knownAttempts.delete(knownAttempts.keys().next().value as string);
      knownAttempts.set(taskKey, attempt);
    } else knownAttempts.delete(taskKey);

    if (decision.kind === 'delivered') {
      await finishQueued(order, task);
      message.ack();
      return;
    }
    ctx.logger.info({ subscription: subscription.id, event: task.eventId, attempt, status: result.status, error: result.errorClass }, 'delivery attempt failed');
    if (decision.kind === 'retry') {
      // To the retry lane, then ack: waiting in backoff must not hold one of the endpoint's in-flight places.
      // An ordered task joins its record's queue first: the record's later events wait until it is done.
      await joinQueue(order, task, Date.now() + decision.delayMs);
      const copy = await enqueueRetry(
        ctx.bus,
        { subscriptionId: subscription.id, eventId: task.eventId, taskId: task.taskId, headers: task.headers, attempts: attempt, notBefore: Date.now() + decision.delayMs, body: message.data },
        options.publishTimeoutMs,
      );
      if (task.record) order.copied(subscription.id, task.record, task.eventId, task.taskId, copy);
      message.ack();
      return;
    }
    const lastStatus = `${result.status}${result.errorClass ? ` (${result.errorClass})` : ''}`;
    if (disableFor) {
      await disable(current, disableFor);
      await deadLetter(message, current, task, 'SWY_ERR_ENDPOINT_DISABLED', `endpoint disabled (${disableFor}) at attempt ${attempt}; last status ${lastStatus}`);
    } else {
      await deadLetter(message, current, task, 'SWY_ERR_DELIVERY_EXHAUSTED', `${attempt} attempts failed; last status ${lastStatus}`);
      await publishOperationalEvent(
        ctx.bus,
        {
          type: 'webhook/message:attempts_exhausted',
          environmentId: subscription.environment_id,
          key: `${task.eventId}:${subscription.id}:${task.taskId}`,
          data: { subscription_id: subscription.id, event_id: task.eventId, event_type: task.eventType, attempts: attempt, last_status: result.status, last_error: result.errorClass ?? null },
        },
        options.publishTimeoutMs,
      );
    }
    await finishQueued(order, task);
    terminate(message, 'no more attempts');
  };

  const tuningMaxWaitMs = options.lanes?.maxWaitMs ?? 2_000;
  return startDeliveryLanes(ctx, { handle, ...(options.lanes ?? {}) });
}

/** One attempt's POST: its number and what the endpoint answered. */
interface Posted {
  attempt: number;
  result: Awaited<ReturnType<Sender['post']>>;
}

/** How long a task stepping aside waits before it looks again: 0.5 s, doubling with each look, at most 30 s. */
function deferDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(6, Math.max(0, deliveryCount - 1)));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** HTTP client attributes of one attempt (OTel semantic conventions) and its ids; never the URL's path or query, headers or body. */
function describeDelivery(span: TraceSpan, subscription: SubscriptionRecord, task: Task, attempt: number): void {
  span.set('http.request.method', 'POST');
  try {
    const url = new URL(subscription.url);
    span.set('server.address', url.hostname);
    span.set('server.port', Number(url.port) || (url.protocol === 'https:' ? 443 : 80));
    span.set('url.scheme', url.protocol.slice(0, -1));
  } catch {
    // Stored URLs were validated; nothing to name otherwise.
  }
  if (attempt > 1) span.set('http.request.resend_count', attempt - 1);
  span.set('switchyard.attempt', attempt);
  span.set('switchyard.subscription_id', subscription.id);
  span.set('switchyard.environment_id', subscription.environment_id);
  span.set('switchyard.event_id', task.eventId);
  span.set('switchyard.event_type', task.eventType);
  span.set('switchyard.task_id', task.taskId);
}
