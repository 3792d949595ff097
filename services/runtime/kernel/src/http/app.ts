import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { SwitchyardError } from '@switchyard/contracts';
import { parseCidr } from '../egress.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { registerProblemHandler } from './problem.js';

/** What `/readyz` reports: whether the process's NATS connection is up, and the server's version. */
export interface Readiness {
  isConnected(): boolean;
  readonly serverVersion: string;
}

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Readiness: NATS connected and streams bootstrapped (a connected bus satisfies it). */
  readiness: Readiness;
  /** Largest body any route accepts, in bytes; webhook routes set their own limit. */
  bodyLimit?: number;
  /** Proxies whose `X-Forwarded-*` headers are believed (`SWITCHYARD_TRUSTED_PROXIES`); none when unset. */
  trustedProxies?: readonly string[];
  /** Bearer token `/metrics` requires (`SWITCHYARD_METRICS_TOKEN`); without one `/metrics` refuses everyone. */
  metricsToken?: string | undefined;
  /**
   * Called with every answer before it is sent (a contract check, e.g. the test suite's OpenAPI audit).
   * Unset, no hook is added. It sees bodies: it must keep none of them.
   */
  observeResponse?: ResponseObserver;
}

/** One answer as {@link HttpAppOptions.observeResponse} sees it. */
export interface ObservedResponse {
  method: string;
  /** The route pattern (`/v1/subscriptions/:id`), or undefined when no route matched (404/405). */
  route: string | undefined;
  /** The request's path without its query (which can carry tokens). */
  path: string;
  status: number;
  /** The media type without parameters, lower-cased; '' when none was set. */
  contentType: string;
  /** The serialized body; undefined for a streamed or empty answer. */
  body: string | undefined;
  /** True when the body is a stream (NDJSON export, proxied answers). */
  streamed: boolean;
}

/** See {@link HttpAppOptions.observeResponse}. */
export type ResponseObserver = (response: ObservedResponse) => void;

/**
 * Fastify's `trustProxy` from the setting: `false` when empty (the socket address is the client), else
 * the validated list, so a bad entry stops start-up with `SWY_ERR_CONFIG_INVALID` naming it.
 */
export function trustProxyFrom(entries: readonly string[] = []): false | string[] {
  if (entries.length === 0) return false;
  return entries.map((entry) => {
    const [address, prefix] = parseCidr(entry, 'SWITCHYARD_TRUSTED_PROXIES');
    return `${address}/${prefix}`;
  });
}

/**
 * A Fastify instance with what every service's HTTP face shares: problem+json errors, `/healthz`,
 * `/readyz`, `/metrics`, and one log line per request naming the route pattern, never the URL's
 * query nor the body (zero data retention).
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    // Fastify's logger type is narrower than pino's; the instance is the same pino logger.
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    // Fastify's own request lines print the URL (queries can carry tokens); ours below print the route.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Only listed proxies may say who the client is: otherwise X-Forwarded-For would pass an IP allow-list.
    trustProxy: trustProxyFrom(options.trustedProxies),
    return503OnClosing: true,
  });
  registerProblemHandler(app);
  // Fastify's JSON parser (prototype-poisoning checks kept) behind a depth pre-scan: an over-deep body
  // would otherwise overflow JSON.parse's stack and answer 500 after the work was done.
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonTooDeep(body as string)) return done(new SwitchyardError('SWY_ERR_BODY_TOO_DEEP', `JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    return parseJson(request, body as string, done);
  });
  // Closing waits for sockets; a keep-alive socket busy when closing began would otherwise linger for
  // the keep-alive timeout. From then on every response asks the client to close, and after a grace
  // period whatever is left is closed (a request cut there was not acknowledged: the provider retries).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    const timer = setTimeout(() => app.server.closeAllConnections(), 3_000);
    timer.unref();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  const observe = options.observeResponse;
  if (observe) {
    app.addHook('onSend', async (request, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
      const streamed = payload !== null && payload !== undefined && body === undefined;
      observe({ method: request.method, route: request.routeOptions.url, path: request.url.split('?')[0] ?? '/', status: reply.statusCode, contentType: type, body: body === '' ? undefined : body, streamed });
      return payload;
    });
  }
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = options.readiness.isConnected();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', nats: options.readiness.serverVersion });
  });
  // Metrics name tenants' subscriptions and volumes: only the scraper (bearer token) reads them.
  const metricsAuthorized = bearerCheck(options.metricsToken);
  app.get('/metrics', async (request, reply) => {
    if (!metricsAuthorized(request.headers.authorization)) {
      throw new SwitchyardError(
        'SWY_ERR_UNAUTHORIZED',
        options.metricsToken ? 'GET /metrics needs Authorization: Bearer <metrics token>' : 'GET /metrics is off: set SWITCHYARD_METRICS_TOKEN',
      );
    }
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return app;
}

/** A constant-time check of `Authorization: Bearer <token>`; always false without a token. */
function bearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (!token) return () => false;
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return match?.[1] !== undefined && timingSafeEqual(createHash('sha256').update(match[1]).digest(), expected);
  };
}
