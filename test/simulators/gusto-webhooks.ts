import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';
import { isLoopbackHttp } from './registration-urls.js';

/** A webhook subscription as the simulator stores it. */
export interface GustoSubscription {
  uuid: string;
  url: string;
  subscription_types: string[];
  status: 'unverified' | 'verified';
  /** Gusto's verification token: POSTed to the URL, handed back to `/verify`, then the HMAC key. */
  verification_token: string;
}

/** The webhook half of the Gusto simulator. */
export interface GustoWebhooks {
  readonly subscriptions: Map<string, GustoSubscription>;
  /** Hosts Gusto cannot reach: a URL on one of them gets 422 and nothing is saved. */
  readonly unreachableHosts: Set<string>;
  /** Token POSTs to leave out (a lost first delivery): decremented per POST not sent. */
  dropTokenPosts: number;
  /** `request_verification_token` calls received. */
  readonly tokenRequests: number;
  /** Sends a signed `employee.*` event to every verified subscription of type Employee; resolves with each status. */
  send(eventType: string, employeeUuid: string, companyUuid: string): Promise<number[]>;
}

const TYPES = new Set(['Company', 'Employee', 'EmployeeJobCompensation', 'Contractor', 'Location', 'Payroll']);

const problem = (reply: FastifyReply, status: number, category: string, message: string, key = 'base') => reply.code(status).send({ errors: [{ error_key: key, category, message }] });

/**
 * Gusto's webhook subscriptions (docs.gusto.com/app-integrations/docs/webhooks, providers.md §12/§21.8):
 * `POST /v1/webhook_subscriptions` with the organization's system access token (Bearer) and
 * `{url, subscription_types}`; a URL Gusto cannot reach (not HTTPS, or on an unreachable host) answers
 * 422 and saves nothing; after creation Gusto POSTs `{verification_token, webhook_subscription_uuid}`
 * to the URL and sends no event until `PUT …/{uuid}/verify` hands the token back;
 * `GET …/{uuid}/request_verification_token` sends it again. Events are signed `X-Gusto-Signature` =
 * hex HMAC-SHA256 of the raw body keyed by the token (S: community verifiers).
 */
export function registerGustoWebhooks(app: FastifyInstance, options: { systemTokens: Set<string>; allowLoopbackHttp: boolean }): GustoWebhooks {
  const subscriptions = new Map<string, GustoSubscription>();
  const unreachableHosts = new Set<string>();
  const authorized = (req: FastifyRequest) => options.systemTokens.has(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const counters = { dropTokenPosts: 0, tokenRequests: 0 };
  const postToken = (subscription: GustoSubscription) => {
    if (counters.dropTokenPosts > 0) return void (counters.dropTokenPosts -= 1);
    return fetch(subscription.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verification_token: subscription.verification_token, webhook_subscription_uuid: subscription.uuid }) }).catch(() => undefined);
  };

  app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      if (!authorized(req)) return problem(reply, 401, 'invalid_token', 'The system access token is invalid');
    });
    scope.post<{ Body: { url?: unknown; subscription_types?: unknown } }>('/v1/webhook_subscriptions', async (req, reply) => {
      const url = typeof req.body?.url === 'string' ? req.body.url : '';
      const types = Array.isArray(req.body?.subscription_types) ? (req.body.subscription_types as string[]) : [];
      if (types.length === 0 || types.some((t) => !TYPES.has(t))) return problem(reply, 422, 'invalid_attribute_value', 'subscription_types is invalid', 'subscription_types');
      let host = '';
      try {
        host = new URL(url).hostname;
      } catch {
        host = '';
      }
      const routable = (/^https:\/\//.test(url) || (options.allowLoopbackHttp && isLoopbackHttp(url))) && host !== '' && !unreachableHosts.has(host);
      if (!routable) return problem(reply, 422, 'invalid_attribute_value', 'url is invalid or inaccessible', 'url');
      const subscription: GustoSubscription = { uuid: randomUUID(), url, subscription_types: types, status: 'unverified', verification_token: randomUUID() };
      rememberSecret('Gusto verification token', subscription.verification_token);
      subscriptions.set(subscription.uuid, subscription);
      // Gusto sends the token once the subscription exists, i.e. after this answer.
      reply.raw.once('finish', () => void postToken(subscription));
      const { verification_token: _token, ...shown } = subscription;
      return reply.code(201).send(shown);
    });
    scope.get<{ Params: { uuid: string } }>('/v1/webhook_subscriptions/:uuid', async (req, reply) => {
      const found = subscriptions.get(req.params.uuid);
      if (!found) return problem(reply, 404, 'not_found', 'Webhook subscription not found');
      const { verification_token: _token, ...shown } = found;
      return shown;
    });
    scope.put<{ Params: { uuid: string }; Body: { verification_token?: unknown } }>('/v1/webhook_subscriptions/:uuid/verify', async (req, reply) => {
      const found = subscriptions.get(req.params.uuid);
      if (!found) return problem(reply, 404, 'not_found', 'Webhook subscription not found');
      if (req.body?.verification_token !== found.verification_token) return problem(reply, 422, 'invalid_attribute_value', 'verification_token is invalid', 'verification_token');
      found.status = 'verified';
      const { verification_token: _token, ...shown } = found;
      return shown;
    });
    scope.get<{ Params: { uuid: string } }>('/v1/webhook_subscriptions/:uuid/request_verification_token', async (req, reply) => {
      const found = subscriptions.get(req.params.uuid);
      if (!found) return problem(reply, 404, 'not_found', 'Webhook subscription not found');
      counters.tokenRequests += 1;
      reply.raw.once('finish', () => void postToken(found));
      return reply.code(200).send();
    });
    scope.delete<{ Params: { uuid: string } }>('/v1/webhook_subscriptions/:uuid', async (req, reply) => {
      if (!subscriptions.delete(req.params.uuid)) return problem(reply, 404, 'not_found', 'Webhook subscription not found');
      return reply.code(204).send();
    });
  });

  return {
    subscriptions,
    unreachableHosts,
    get dropTokenPosts() {
      return counters.dropTokenPosts;
    },
    set dropTokenPosts(n: number) {
      counters.dropTokenPosts = n;
    },
    get tokenRequests() {
      return counters.tokenRequests;
    },
    send: async (eventType, employeeUuid, companyUuid) => {
      const statuses: number[] = [];
      for (const subscription of subscriptions.values()) {
        if (subscription.status !== 'verified' || !subscription.subscription_types.includes('Employee')) continue;
        const body = JSON.stringify({ uuid: randomUUID(), event_type: eventType, resource_type: 'Company', resource_uuid: companyUuid, entity_type: 'Employee', entity_uuid: employeeUuid, timestamp: Math.floor(Date.now() / 1000) });
        const signature = createHmac('sha256', subscription.verification_token).update(body, 'utf8').digest('hex');
        rememberSecret('Gusto webhook signature', signature);
        const response = await fetch(subscription.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gusto-signature': signature }, body });
        statuses.push(response.status);
      }
      return statuses;
    },
  };
}
