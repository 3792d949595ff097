/**
 * Ceiling A, run as a child process by `ingest.ts`: a bare Fastify 5 server with one `POST /` that
 * answers 200 `{}`. It is the most an HTTP endpoint in Node can do on this machine, before any work.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
// Fastify's default JSON parser: the body is parsed, as a real handler would need it.
app.post('/', async () => ({}));

const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ port: Number(new URL(address).port) });

// Exit with the parent: a crashed bench must not leave servers behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
