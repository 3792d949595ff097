import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SwitchyardError, toProblem, type ErrorCode } from '@switchyard/contracts';

/** Fastify's own error codes mapped onto ours, so every error a caller sees carries a registry code. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SWY_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SWY_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SWY_ERR_BODY_MALFORMED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SWY_ERR_BODY_MALFORMED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SWY_ERR_BODY_MALFORMED',
  FST_ERR_VALIDATION: 'SWY_ERR_VALIDATION',
};

/** Converts anything thrown in a handler into a SwitchyardError. */
export function toSwitchyardError(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  if (error instanceof z.ZodError) {
    return new SwitchyardError('SWY_ERR_VALIDATION', error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), {
      extensions: { errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const fastifyError = error as FastifyError;
  const mapped = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new SwitchyardError(mapped, fastifyError.message, { cause: error });
  if (fastifyError?.code === 'FST_ERR_CTP_INVALID_TYPE' || /Unexpected token|JSON/.test(fastifyError?.message ?? '')) {
    return new SwitchyardError('SWY_ERR_BODY_MALFORMED', 'body is not valid JSON', { cause: error });
  }
  return new SwitchyardError('SWY_ERR_INTERNAL', undefined, { cause: error });
}

/**
 * Makes every error answer RFC 9457 `application/problem+json` with a `SWY_ERR_…` code. Internal errors
 * are logged with their stack; the caller sees only the code and title.
 */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const coded = toSwitchyardError(error);
    if (coded.status >= 500) request.log.error({ err: error, code: coded.code }, 'request failed');
    if (coded.code === 'SWY_ERR_BUS_UNAVAILABLE') void reply.header('retry-after', '5');
    void reply.status(coded.status).type('application/problem+json').send(toProblem(coded));
  });
  // Every route as it is registered, so a known path with the wrong method answers 405 + Allow (RFC 9110 §15.5.6).
  const routes: Array<{ method: string; url: string; path: RegExp }> = [];
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path ?? '';
    const path = routePattern(url);
    for (const method of [route.method].flat()) routes.push({ method: String(method).toUpperCase(), url, path });
  });
  servedRoutes.set(app, routes);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = [...new Set(routes.filter((r) => r.path.test(path)).map((r) => r.method))].sort();
    if (allowed.length > 0) {
      const coded = new SwitchyardError('SWY_ERR_METHOD_NOT_ALLOWED', `${request.method} ${path}: this path takes ${allowed.join(', ')}`);
      void reply.status(405).header('allow', allowed.join(', ')).type('application/problem+json').send(toProblem(coded));
      return;
    }
    const coded = new SwitchyardError('SWY_ERR_ROUTE_NOT_FOUND', `${request.method} ${path}`);
    void reply.status(404).type('application/problem+json').send(toProblem(coded));
  });
}

const servedRoutes = new WeakMap<FastifyInstance, ReadonlyArray<{ method: string; url: string }>>();

/**
 * Every route the app serves, as registered (method, pattern such as `/v1/subscriptions/:id`), HEAD
 * included; for checking the API document against what is served.
 */
export function routesOf(app: FastifyInstance): ReadonlyArray<{ method: string; url: string }> {
  return servedRoutes.get(app)?.map(({ method, url }) => ({ method, url })) ?? [];
}

/** A route's URL (`/v1/subscriptions/:id`, `/proxy/*`) as a regular expression over concrete paths. */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** Parses a request part with a zod schema; failures become `SWY_ERR_VALIDATION` (400) naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw toSwitchyardError(result.error);
  return result.data;
}
