/**
 * A durable pull consumer of Switchyard's EVENTS stream: the HRIS employee events of one environment,
 * straight from NATS JetStream, acked one by one. Copy this file; see README.md to run it.
 *
 * Delivery is at least once: a message is redelivered when this process dies, nak()s, or does not ack
 * within ACK_WAIT_MS. Event ids are deterministic, so dedupe on `envelope.id`.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type JsMsg } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { EventEnvelope, eventsSubject } from '@switchyard/contracts';

const STREAM = 'EVENTS';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ENVIRONMENT = process.env.SWITCHYARD_ENVIRONMENT;
const DURABLE = process.env.CONSUMER_NAME ?? 'example-hris-employees';
const ACK_WAIT_MS = 30_000; // 30 s to handle one event before JetStream hands it out again
const MAX_DELIVER = 10; // then JetStream gives up on the message (and publishes an advisory)

if (!ENVIRONMENT) {
  process.stderr.write('set SWITCHYARD_ENVIRONMENT to an environment id (env_…); see README.md\n');
  process.exit(2);
}

/** `events.<env>.hris.employees.*`: one filter subject per consumer (nats-server 2.9 has no filter_subjects). */
const filter = eventsSubject({ environment: ENVIRONMENT, category: 'hris', resource: 'employees' });

const nc = await connect({ servers: NATS_URL.split(','), name: DURABLE });
const jsm = await jetstreamManager(nc);
await ensureConsumer({
  durable_name: DURABLE,
  filter_subject: filter,
  ack_policy: AckPolicy.Explicit,
  // All: start with what EVENTS still retains. New: only what arrives from now on.
  deliver_policy: DeliverPolicy.All,
  ack_wait: nanos(ACK_WAIT_MS),
  max_deliver: MAX_DELIVER,
  max_ack_pending: 256,
});

const consumer = await jetstream(nc).consumers.get(STREAM, DURABLE);
const messages = await consumer.consume({ max_messages: 64 });
const stop = () => messages.stop();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.stdout.write(`consuming ${filter} from ${STREAM} as durable '${DURABLE}' on ${NATS_URL}; Ctrl-C to stop\n`);

// Ids already handled. In-memory for the example; a real consumer records the id in the same
// transaction as its own write (or makes the write an idempotent upsert) so a crash cannot split them.
const seen = new Set<string>();

for await (const message of messages) {
  await handle(message);
}
await nc.drain();

async function handle(message: JsMsg): Promise<void> {
  const parsed = EventEnvelope.safeParse(safeJson(message.data));
  if (!parsed.success) {
    // Not an event envelope (and never will be): stop redelivering it.
    process.stderr.write(`seq ${message.seq} on ${message.subject}: not an event envelope; terminating it\n`);
    message.term('not an event envelope');
    return;
  }
  const event = parsed.data;
  if (seen.has(event.id)) {
    message.ack();
    return;
  }
  try {
    await apply(event);
    seen.add(event.id);
    message.ack();
  } catch (error) {
    // Transient failure: ask for redelivery later instead of waiting out ack_wait.
    process.stderr.write(`event ${event.id}: ${String(error)}; retrying in 5 s\n`);
    message.nak(5_000);
  }
}

/** The team's own work. Thin events carry only `data.remote_id`: fetch the record when you need more. */
async function apply(event: EventEnvelope): Promise<void> {
  const employee = event.data as { remote_id: string; first_name?: string | null; last_name?: string | null };
  const name = [employee.first_name, employee.last_name].filter(Boolean).join(' ') || '(thin event)';
  process.stdout.write(`${event.timestamp} ${event.action.padEnd(7)} ${event.provider}/${employee.remote_id} ${name}  ${event.id}\n`);
}

/** Creates the durable consumer, or reuses it when it already exists with the same filter. */
async function ensureConsumer(config: Partial<ConsumerConfig> & { durable_name: string; filter_subject: string }): Promise<void> {
  const existing = await jsm.consumers.info(STREAM, config.durable_name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      throw new Error(`no ${STREAM} stream on ${NATS_URL}: start Switchyard first (it creates its streams)`, { cause: error });
    }
    throw error;
  });
  if (!existing) {
    await jsm.consumers.add(STREAM, config);
  } else if (existing.config.filter_subject !== config.filter_subject) {
    throw new Error(
      `consumer '${config.durable_name}' exists with filter ${existing.config.filter_subject}; ` +
        `delete it (nats consumer rm ${STREAM} ${config.durable_name}) or pick another CONSUMER_NAME`,
    );
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
