/**
 * Ceiling C, run as a child process by `ingest.ts`: Fastify reading the raw body as a Buffer,
 * checking a BambooHR-style hex HMAC-SHA256 over body + timestamp, publishing the bytes to JetStream
 * with a `Nats-Msg-Id` and answering 200 only after the ack. That is the irreducible work of the
 * edge, so the hub's ingest is compared with it.
 *
 * Env: `NATS_URL`, `BENCH_SECRET`, `BENCH_SUBJECT` (a subject of a stream the parent created).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';

const natsUrl = required('NATS_URL');
const secret = required('BENCH_SECRET');
const subject = required('BENCH_SUBJECT');

const nc = await connect({ servers: natsUrl, name: 'bench-ceiling-c' });
const js = jetstream(nc);

const app = Fastify({ logger: false });
// Verification must see the exact bytes the sender signed, so no JSON parsing.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.post('/', async (request, reply) => {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const timestamp = header(request.headers['x-bamboohr-timestamp']);
  const signature = header(request.headers['x-bamboohr-signature']);
  if (!timestamp || !signature) return reply.status(401).send({ error: 'missing signature' });
  // The same replay window the hub applies (300 s), so the ceiling does the same checks.
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return reply.status(401).send({ error: 'stale' });
  const expected = createHmac('sha256', secret).update(body).update(timestamp).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.status(401).send({ error: 'bad signature' });
  // A content hash as message id, like the hub's body_sha256 event key: a retried body dedupes.
  const msgID = createHash('sha256').update(body).digest('hex').slice(0, 40);
  await js.publish(subject, body, { msgID, timeout: 5_000 });
  return reply.status(200).send({ status: 'accepted' });
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ port: Number(new URL(address).port) });

const shutdown = () =>
  void app
    .close()
    .then(() => nc.drain())
    .finally(() => process.exit(0));
// Exit with the parent: a crashed bench must not leave servers behind.
process.on('disconnect', shutdown);
process.on('SIGTERM', shutdown);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
