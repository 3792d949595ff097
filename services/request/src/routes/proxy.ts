import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchyardError } from '@switchyard/contracts';
import { authorize, authorizedUrl, baseUrlFor, callWithAccessToken, rateLimit } from '@switchyard/provider-client';
import type { RequestParts } from '../parts.js';
import type { AccountStore, EnvironmentStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';

/** Request headers never forwarded: hop-by-hop ones, the caller's own credentials, and ours. */
const DROP_REQUEST = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-authorization', 'authorization', 'cookie', 'x-integrated-account-id', 'content-length']);
/** Response headers not passed back: hop-by-hop ones and cookies of the provider's session. */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'set-cookie', 'content-length']);

/**
 * `GET|POST|PUT|PATCH|DELETE /proxy/{path}` (HEAD with GET) with `x-integrated-account-id`: the provider call with the account's auth
 * injected, under the same egress policy and rate-limit normalization as unified calls, bodies streamed
 * both ways (nothing buffered, nothing stored). The caller's `Authorization` is never forwarded.
 * OAuth2 accounts get the same refreshed token as unified calls.
 */
export async function registerProxyRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore): Promise<void> {
  await app.register(async (scope) => {
    // Leave the body as the raw request stream, for every media type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    // The methods a provider API takes; TRACE, OPTIONS and the like answer 405 instead of reaching a provider.
    scope.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/proxy/*', handler: async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
      const environment = await requireEnvironment(request, environments);
      const accountId = request.headers['x-integrated-account-id'];
      if (typeof accountId !== 'string') throw new SwitchyardError('SWY_ERR_VALIDATION', 'x-integrated-account-id header is required');
      const account = await accounts.getInEnvironment(environment.id, accountId);
      if (!account) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${accountId}'`);
      if (account.status === 'needs_reauth') throw new SwitchyardError('SWY_ERR_ACCOUNT_NEEDS_REAUTH', `account '${accountId}' must be reconnected`);
      if (account.status !== 'active') throw new SwitchyardError('SWY_ERR_ACCOUNT_DISABLED', `account '${accountId}' is ${account.status}`);
      const api = ctx.catalog.get(account.provider)?.definition.api;
      if (!api) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${account.provider} has no API definition`);

      const base = baseUrlFor(api.base_url, account.config);
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const url = `${base}/${request.params['*']}${search}`;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (!DROP_REQUEST.has(name) && typeof value === 'string') headers[name] = value;
      if (typeof request.headers['content-length'] === 'string') headers['content-length'] = request.headers['content-length'];
      const credentials = accounts.credentials(account);
      const authed = authorizedUrl(api.auth, credentials, url);
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
      const open = (accessToken: string | undefined) =>
        ctx.client.http.open({
          method: request.method,
          url: authed,
          headers: { ...headers, ...authorize(api.auth, credentials, { method: request.method, url: authed }, accessToken) },
          body: hasBody ? (request.body as IncomingMessage) : undefined,
        });
      const response = await callWithAccessToken(ctx.client.tokens, api.auth, account, credentials, {
        send: open,
        status: (r) => r.statusCode,
        resendable: !hasBody,
        discard: (r) => r.body.dump(),
        onRefreshFailed: (error) => request.log.info({ code: (error as { code?: string }).code }, 'token refresh after a proxied 401 failed'),
      });

      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
      const limits = rateLimit.normalizeRateLimit(api.rate_limits, { status: response.statusCode, headers: flat });
      for (const [name, value] of Object.entries(flat)) if (!DROP_RESPONSE.has(name)) void reply.header(name, value);
      for (const [name, value] of Object.entries(rateLimit.rateLimitHeaders(limits))) if (value) void reply.header(name, value);
      return reply.status(response.statusCode).send(response.body);
    } });
  });
}
