import { headers as natsHeaders } from '@nats-io/transport-node';
import { deadSubject, type DeadLetterPlace, type DeadLetterStage } from '@switchyard/contracts';
import type { Bus } from './bus.js';
import { DEAD_HEADERS } from './bus-headers.js';
import { publishDurable } from './publish.js';

/** What a stage could not handle: its bytes, where it belongs, and the coded error. */
export interface DeadLetter<S extends DeadLetterStage> {
  stage: S;
  /** The subject tokens after the stage (`deadSubject`): provider and account, subscription, … */
  place: DeadLetterPlace[S];
  /** The bytes as the stage received them (raw delivery, event envelope), kept for replay. */
  data: Uint8Array;
  /** Dedupe key: the same failure dead-lettered twice (a redelivered message) is kept once. */
  msgId: string;
  code: string;
  /** A human detail; cut to one line of at most 1 000 characters (header values hold no newlines). */
  detail: string;
  /** Headers carried along: the source message's, the task's, the stage's own extras. */
  headers?: Iterable<readonly [string, string]> | undefined;
}

/**
 * Keeps a dead letter on `dead.<stage>.<...>` with `swy-stage`, `swy-error-code` and `swy-error-message`,
 * and resolves once JetStream acknowledged it (retrying for up to `deadlineMs` while NATS is away), so a
 * caller acknowledges the source message only after the letter is durable. The one writer of DEAD.
 */
export async function publishDeadLetter<S extends DeadLetterStage>(bus: Bus, letter: DeadLetter<S>, deadlineMs: number): Promise<void> {
  const h = natsHeaders();
  for (const [name, value] of letter.headers ?? []) h.set(name, value);
  h.set(DEAD_HEADERS.stage, letter.stage);
  h.set(DEAD_HEADERS.code, letter.code);
  h.set(DEAD_HEADERS.message, letter.detail.replace(/[\r\n]+/g, ' ').slice(0, 1_000));
  await publishDurable(bus.js, deadSubject(letter.stage, letter.place), letter.data, { msgID: letter.msgId, headers: h }, deadlineMs);
}
