import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';
import { isLoopbackHttp } from './registration-urls.js';

/** A subscription as `POST /webhooks/v3/{appId}/subscriptions` creates it. */
export interface HubSpotSubscription {
  id: number;
  eventType: string;
  propertyName: string | null;
  active: boolean;
  createdAt: string;
}

/** One HubSpot app (developer account) the simulator knows. */
export interface HubSpotApp {
  appId: string;
  /** The developer API key, accepted only as `?hapikey=`. */
  developerApiKey: string;
  /** The app's client secret: what HubSpot signs webhooks with (X-HubSpot-Signature-v3). */
  clientSecret: string;
}

/** A running simulator. */
export interface HubSpotWebhooksApi {
  readonly url: string;
  /** The app's settings (`targetUrl`, `throttling`), once PUT. */
  readonly settings: Map<string, { targetUrl: string; throttling: { maxConcurrentRequests: number; period: string } }>;
  readonly subscriptions: Map<string, Map<number, HubSpotSubscription>>;
  /** Every call, as `METHOD /path` with the query's key names (never values), for asserting what was used. */
  readonly calls: string[];
  /**
   * Sends one event of `portalId` the way HubSpot does, if the app has a target URL and an active
   * subscription to `eventType`: a JSON array, signed v3 with the app's client secret over method + URL +
   * body + timestamp (ms). Resolves with the receiver's status, or null when nothing would be sent.
   */
  notify(appId: string, portalId: number, eventType: string, objectId: number): Promise<number | null>;
  close(): Promise<void>;
}

/** The v3 `eventType` enum (providers.md §21.1): object events, privacy deletion, conversations, event.completed. */
const OBJECTS = ['contact', 'company', 'deal', 'ticket', 'product', 'line_item', 'object'];
const VERBS = ['creation', 'deletion', 'propertyChange', 'merge', 'restore', 'associationChange'];
const EVENT_TYPES = new Set([...OBJECTS.flatMap((o) => VERBS.map((v) => `${o}.${v}`)), 'contact.privacyDeletion', 'conversation.creation', 'conversation.deletion', 'conversation.propertyChange', 'conversation.newMessage', 'event.completed']);

/** HubSpot's error body (its documented `{status, message, correlationId, category}` shape). */
const fail = (reply: FastifyReply, status: number, category: string, message: string) =>
  reply.code(status).send({ status: 'error', message, correlationId: '00000000-0000-4000-8000-000000000000', category });

/**
 * HubSpot's legacy app webhooks API (providers.md §21.1): per app, not per portal. `PUT
 * /webhooks/v3/{appId}/settings` takes `{targetUrl, throttling: {maxConcurrentRequests, period}}`,
 * `POST …/subscriptions` takes `{eventType, propertyName, active}` — both authenticated by the developer
 * API key as `?hapikey=` (a Bearer token is refused: that is the dated versions' auth). `GET` lists
 * settings and subscriptions, `DELETE …/subscriptions/{id}` removes one. From secondary sources (S), not
 * in §21.1: the list's `{results: […]}` shape, `propertyName` required for `*.propertyChange`, the error
 * body, and HTTPS-only target URLs (loopback http is accepted so a test hub can receive).
 */
export async function startHubSpotWebhooksApi(apps: HubSpotApp[]): Promise<HubSpotWebhooksApi> {
  for (const app of apps) {
    rememberSecret('HubSpot developer API key', app.developerApiKey);
    rememberSecret('HubSpot client secret', app.clientSecret);
  }
  const byId = new Map(apps.map((app) => [app.appId, app]));
  const settings: HubSpotWebhooksApi['settings'] = new Map();
  const subscriptions: HubSpotWebhooksApi['subscriptions'] = new Map();
  const calls: string[] = [];
  let next = 1_100_000;
  let eventId = 9_000;
  const server = Fastify({ logger: false, forceCloseConnections: true });
  server.addHook('onRequest', async (req, reply) => {
    const url = new URL(req.url, 'http://x');
    calls.push(`${req.method} ${url.pathname}${[...url.searchParams.keys()].map((k) => `?${k}`).join('')}${req.headers.authorization ? ' +authorization' : ''}`);
    const appId = url.pathname.split('/')[3] ?? '';
    const app = byId.get(appId);
    if (!app) return fail(reply, 404, 'OBJECT_NOT_FOUND', `app ${appId} not found`);
    if (url.searchParams.get('hapikey') !== app.developerApiKey) return fail(reply, 401, 'INVALID_AUTHENTICATION', 'The API key provided is invalid.');
  });
  type AppParams = { Params: { appId: string } };

  server.put<AppParams & { Body: { targetUrl?: unknown; throttling?: { maxConcurrentRequests?: unknown; period?: unknown } } }>('/webhooks/v3/:appId/settings', async (req, reply) => {
    const { targetUrl, throttling } = req.body ?? {};
    if (typeof targetUrl !== 'string' || !(targetUrl.startsWith('https://') || isLoopbackHttp(targetUrl))) return fail(reply, 400, 'VALIDATION_ERROR', 'targetUrl must be an HTTPS URL');
    const max = typeof throttling?.maxConcurrentRequests === 'number' ? throttling.maxConcurrentRequests : 10;
    const period = throttling?.period === 'ROLLING_MINUTE' ? 'ROLLING_MINUTE' : 'SECONDLY';
    settings.set(req.params.appId, { targetUrl, throttling: { maxConcurrentRequests: max, period } });
    return { ...settings.get(req.params.appId), createdAt: new Date().toISOString() };
  });
  server.get<AppParams>('/webhooks/v3/:appId/settings', async (req, reply) => settings.get(req.params.appId) ?? fail(reply, 404, 'OBJECT_NOT_FOUND', 'no settings'));

  server.post<AppParams & { Body: { eventType?: unknown; propertyName?: unknown; active?: unknown } }>('/webhooks/v3/:appId/subscriptions', async (req, reply) => {
    const { eventType, propertyName, active } = req.body ?? {};
    if (typeof eventType !== 'string' || !EVENT_TYPES.has(eventType)) return fail(reply, 400, 'VALIDATION_ERROR', `eventType: '${String(eventType)}' is not a valid event type`);
    if (eventType.endsWith('.propertyChange') && (typeof propertyName !== 'string' || propertyName === '')) return fail(reply, 400, 'VALIDATION_ERROR', 'propertyName is required for propertyChange subscriptions');
    const subscription: HubSpotSubscription = { id: next++, eventType, propertyName: typeof propertyName === 'string' ? propertyName : null, active: active !== false, createdAt: new Date().toISOString() };
    const mine = subscriptions.get(req.params.appId) ?? new Map<number, HubSpotSubscription>();
    mine.set(subscription.id, subscription);
    subscriptions.set(req.params.appId, mine);
    return reply.code(201).send(subscription);
  });
  server.get<AppParams>('/webhooks/v3/:appId/subscriptions', async (req) => ({ results: [...(subscriptions.get(req.params.appId)?.values() ?? [])] }));
  server.delete<{ Params: { appId: string; id: string } }>('/webhooks/v3/:appId/subscriptions/:id', async (req, reply) => {
    if (!subscriptions.get(req.params.appId)?.delete(Number(req.params.id))) return fail(reply, 404, 'OBJECT_NOT_FOUND', `subscription ${req.params.id} not found`);
    return reply.code(204).send();
  });

  await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    settings,
    subscriptions,
    calls,
    notify: async (appId, portalId, eventType, objectId) => {
      const target = settings.get(appId)?.targetUrl;
      const subscription = [...(subscriptions.get(appId)?.values() ?? [])].find((s) => s.active && s.eventType === eventType);
      if (!target || !subscription) return null;
      const n = ++eventId;
      const event = {
        eventId: n,
        subscriptionId: subscription.id,
        portalId,
        appId: Number(appId),
        occurredAt: Date.now(),
        subscriptionType: eventType,
        attemptNumber: 0,
        objectId,
        changeSource: 'CRM_UI',
        ...(subscription.propertyName ? { propertyName: subscription.propertyName, propertyValue: `v${n}` } : {}),
      };
      const body = JSON.stringify([event]);
      const timestamp = String(Date.now());
      const signature = createHmac('sha256', byId.get(appId)!.clientSecret).update(`POST${target}${body}${timestamp}`).digest('base64');
      const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': timestamp, 'x-hubspot-signature-v3': signature }, body });
      return response.status;
    },
    close: () => server.close(),
  };
}
