import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';

/** A subscription as the simulator stores it (learn.microsoft.com/graph/api/resources/subscription). */
export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: string;
  /** Set by {@link GraphApi.requireReauthorization}: no change notification is sent until reauthorized or renewed. */
  needsReauthorization?: boolean;
}

/** One `PATCH` renewal: which subscription, and the expiry it replaced (two renewals of one period would repeat it). */
export interface GraphRenewal {
  id: string;
  previous: string;
  next: string;
}

/** A running Microsoft Graph simulator: Entra's token endpoint and `/v1.0/subscriptions`. */
export interface GraphApi {
  readonly url: string;
  /** `POST` here for app-only tokens (`grant_type=client_credentials`, scope `https://graph.microsoft.com/.default`). */
  readonly tokenUrl: string;
  readonly subscriptions: Map<string, GraphSubscription>;
  readonly renewals: GraphRenewal[];
  /** Tokens issued so far. */
  readonly tokensIssued: number;
  /** Every access token issued so far is refused from now on (401), as an expired token would be. */
  expireTokens(): void;
  /** Subscriptions reauthorized by `POST /subscriptions/{id}/reauthorize`, in order. */
  readonly reauthorizations: string[];
  /**
   * Flags a subscription and sends `reauthorizationRequired` to its lifecycle URL (as Graph does before the
   * app's authorization lapses); it notifies nothing until reauthorized or renewed. Resolves with the status.
   */
  requireReauthorization(id: string): Promise<number>;
  /** Sends a change notification for `Users/{id}` to every live `users` subscription; resolves with each status. */
  notifyUser(changeType: 'created' | 'updated' | 'deleted', userId: string): Promise<number[]>;
  close(): Promise<void>;
}

/** Maximum subscription lifetime per resource, minutes (the subscription resource page's table). */
export const GRAPH_MAX_MINUTES: Record<string, number> = { users: 41_760, groups: 41_760 };

const graphError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message, innerError: { 'request-id': randomUUID() } } });

/**
 * Microsoft Graph change-notification subscriptions for Entra users and groups (providers.md §15, §21.5):
 * app-only Bearer tokens from `/{tenant}/oauth2/v2.0/token`; `POST /v1.0/subscriptions` validates
 * `notificationUrl` (and `lifecycleNotificationUrl`) by POSTing `?validationToken=` and expecting the
 * token back as text/plain within 10 s before it answers 201; `expirationDateTime` must lie in the
 * future and within the resource's maximum (41 760 min for users and groups), else 400; `PATCH` renews
 * within the same bounds; a subscription past its expiry is gone (404) and sends nothing — Graph sends
 * no `subscriptionRemoved`/`missed` lifecycle events for directory resources, so only renewal keeps it.
 */
export async function startGraphApi(options: { clientId?: string; clientSecret?: string; tenant?: string } = {}): Promise<GraphApi> {
  const clientId = options.clientId ?? 'graph-client';
  const clientSecret = options.clientSecret ?? 'graph-secret';
  const tenant = options.tenant ?? 'contoso';
  const valid = new Set<string>();
  const subscriptions = new Map<string, GraphSubscription>();
  const renewals: GraphRenewal[] = [];
  const reauthorizations: string[] = [];
  let tokensIssued = 0;
  const live = (s: GraphSubscription | undefined) => (s && Date.parse(s.expirationDateTime) > Date.now() ? s : undefined);
  const expiryProblem = (resource: string, value: unknown): string | undefined => {
    const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) return 'expirationDateTime is required';
    if (at <= Date.now()) return 'Subscription expiration can only be in the future';
    if (at > Date.now() + GRAPH_MAX_MINUTES[resource]! * 60_000) return `Subscription expiration can only be ${GRAPH_MAX_MINUTES[resource]} minutes in the future`;
    return undefined;
  };
  const validates = async (url: string): Promise<boolean> => {
    const token = randomBytes(12).toString('base64url');
    try {
      const response = await fetch(`${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(10_000) });
      return response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/plain') && (await response.text()) === token;
    } catch {
      return false;
    }
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    if (req.params.tenant !== tenant) return reply.code(400).send({ error: 'invalid_request', error_description: 'AADSTS90002: Tenant not found' });
    if (form.get('grant_type') !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' });
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return reply.code(401).send({ error: 'invalid_client' });
    if (form.get('scope') !== 'https://graph.microsoft.com/.default') return reply.code(400).send({ error: 'invalid_scope' });
    const token = `graph-at-${randomBytes(12).toString('hex')}`;
    rememberSecret('Graph access token', token);
    valid.add(token);
    tokensIssued += 1;
    return reply.header('cache-control', 'no-store').send({ token_type: 'Bearer', expires_in: 3599, access_token: token });
  });

  app.register(
    async (v1) => {
      v1.addHook('onRequest', async (req, reply) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token || !valid.has(token)) return graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
      });
      v1.post<{ Body: Partial<GraphSubscription> }>('/subscriptions', async (req, reply) => {
        const body = req.body ?? {};
        const resource = String(body.resource ?? '').replace(/^\//, '').toLowerCase();
        if (!(resource in GRAPH_MAX_MINUTES)) return graphError(reply, 400, 'InvalidRequest', `resource '${body.resource}' is not supported here`);
        const expiry = expiryProblem(resource, body.expirationDateTime);
        if (expiry) return graphError(reply, 400, 'InvalidRequest', expiry);
        if (typeof body.notificationUrl !== 'string' || !/^https?:\/\//.test(body.notificationUrl)) return graphError(reply, 400, 'InvalidRequest', 'notificationUrl is required');
        if (typeof body.clientState === 'string' && body.clientState.length > 128) return graphError(reply, 400, 'InvalidRequest', 'clientState is longer than 128 characters');
        for (const url of [body.notificationUrl, body.lifecycleNotificationUrl].filter((u): u is string => typeof u === 'string')) {
          if (!(await validates(url))) return graphError(reply, 400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
        }
        const subscription: GraphSubscription = {
          id: randomUUID(),
          resource,
          changeType: String(body.changeType ?? 'updated'),
          notificationUrl: body.notificationUrl,
          lifecycleNotificationUrl: typeof body.lifecycleNotificationUrl === 'string' ? body.lifecycleNotificationUrl : null,
          clientState: typeof body.clientState === 'string' ? body.clientState : null,
          expirationDateTime: new Date(String(body.expirationDateTime)).toISOString(),
        };
        subscriptions.set(subscription.id, subscription);
        return reply.code(201).send({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...subscription });
      });
      v1.get<{ Params: { id: string } }>('/subscriptions/:id', async (req, reply) => live(subscriptions.get(req.params.id)) ?? graphError(reply, 404, 'ResourceNotFound', 'The object was not found.'));
      v1.patch<{ Params: { id: string }; Body: { expirationDateTime?: unknown } }>('/subscriptions/:id', async (req, reply) => {
        const subscription = live(subscriptions.get(req.params.id));
        if (!subscription) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
        const expiry = expiryProblem(subscription.resource, req.body?.expirationDateTime);
        if (expiry) return graphError(reply, 400, 'InvalidRequest', expiry);
        const next = new Date(String(req.body!.expirationDateTime)).toISOString();
        renewals.push({ id: subscription.id, previous: subscription.expirationDateTime, next });
        subscription.expirationDateTime = next;
        subscription.needsReauthorization = false;
        return subscription;
      });
      v1.post<{ Params: { id: string } }>('/subscriptions/:id/reauthorize', async (req, reply) => {
        const subscription = live(subscriptions.get(req.params.id));
        if (!subscription) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
        subscription.needsReauthorization = false;
        reauthorizations.push(subscription.id);
        return reply.code(200).send();
      });
      v1.delete<{ Params: { id: string } }>('/subscriptions/:id', async (req, reply) => {
        if (!subscriptions.delete(req.params.id)) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
        return reply.code(204).send();
      });
    },
    { prefix: '/v1.0' },
  );

  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/${tenant}/oauth2/v2.0/token`,
    subscriptions,
    renewals,
    get tokensIssued() {
      return tokensIssued;
    },
    expireTokens: () => valid.clear(),
    reauthorizations,
    requireReauthorization: async (id) => {
      const subscription = subscriptions.get(id)!;
      subscription.needsReauthorization = true;
      const body = JSON.stringify({ value: [{ subscriptionId: id, subscriptionExpirationDateTime: subscription.expirationDateTime, tenantId: randomUUID(), clientState: subscription.clientState, lifecycleEvent: 'reauthorizationRequired' }] });
      return (await fetch(subscription.lifecycleNotificationUrl ?? subscription.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status;
    },
    notifyUser: async (changeType, userId) => {
      const statuses: number[] = [];
      for (const subscription of subscriptions.values()) {
        if (!live(subscription) || subscription.resource !== 'users' || subscription.needsReauthorization) continue;
        const body = JSON.stringify({
          value: [{ id: randomUUID(), subscriptionId: subscription.id, subscriptionExpirationDateTime: subscription.expirationDateTime, clientState: subscription.clientState, changeType, resource: `Users/${userId}`, tenantId: randomUUID(), resourceData: { '@odata.type': '#Microsoft.Graph.User', '@odata.id': `Users/${userId}`, id: userId } }],
        });
        statuses.push((await fetch(subscription.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
      }
      return statuses;
    },
    close: () => app.close(),
  };
}
