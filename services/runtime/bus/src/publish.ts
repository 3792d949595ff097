import type { JetStreamClient, JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import { SwitchyardError } from '@switchyard/contracts';

/**
 * Publishes started during one turn of the event loop leave together: each waits for the loop's check
 * phase, then all of them run back to back, so nats.js puts them in one outbound buffer and one socket
 * write (it flushes on a microtask). Under load a turn handles many I/O callbacks (POST answers, pulled
 * messages), and one write per publish cost ~19 % of the hub's CPU in the delivery profile. The delay
 * is at most one loop turn.
 */
let turn: Promise<void> | undefined;
function nextTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}

/**
 * Publishes to JetStream and waits for the stream's ack, retrying with the same message id until
 * `deadlineMs` passes (a leader change or a reconnect is usually over in a second or two). The same id
 * on every try means a publish that did land but whose ack was lost is deduplicated, not doubled.
 * Throws `SWY_ERR_BUS_UNAVAILABLE` when the deadline passes.
 */
export async function publishDurable(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array | string,
  options: Partial<JetStreamPublishOptions> & { msgID: string },
  deadlineMs: number,
): Promise<PubAck> {
  const deadline = Date.now() + deadlineMs;
  let wait = 50;
  let lastError: unknown;
  await nextTurn();
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      return await js.publish(subject, data, { ...options, timeout: Math.max(250, Math.min(remaining, 2_000)) });
    } catch (error) {
      lastError = error;
      // A stream at its max_bytes bound stays full until retention frees room: hours, not seconds.
      // Say so now (the edge answers 503 + Retry-After and the provider retries) instead of waiting out the deadline.
      if (isFull(error)) throw new SwitchyardError('SWY_ERR_BUS_UNAVAILABLE', `${subject.split('.')[0]} stream is full (its max_bytes bound); retry later`, { cause: error });
      if (isPermanent(error)) break;
      await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
      wait = Math.min(wait * 2, 500);
    }
  }
  throw new SwitchyardError('SWY_ERR_BUS_UNAVAILABLE', `publish to ${subject.split('.')[0]} not acknowledged`, { cause: lastError });
}

/** The stream refuses new messages because it holds as much as it may (discard: new). */
function isFull(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /maximum (bytes|messages) exceeded|insufficient resources/i.test(message);
}

/** Errors a retry cannot fix: the stream refuses this message for what it is. */
function isPermanent(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /maximum payload|message size exceeds|invalid subject/i.test(message);
}
