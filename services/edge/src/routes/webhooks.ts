import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SwitchyardError, toProblem, type ErrorCode, type Handshake } from '@switchyard/contracts';
import { traceContextOf, type TraceContext } from '@switchyard/kernel';
import { type LoadedProvider, mediaType, parseBody } from '@switchyard/mapping';
import type { EdgeParts } from '../parts.js';
import { capturePending, type AccountRecord, type ProviderAppRecord } from '@switchyard/stores';
import { groupByRemoteKey, rebuildPayload } from '../app-routing.js';
import { capturedSecret, findHandshake, findUnsignedHandshake, renderReply, type RequestView } from '../handshake.js';
import { deadLetterAtEdge, publishRaw } from '../ingest.js';
import { ACCOUNT_ROUTE, APP_ROUTE, endVerify, served, startReceive } from '../tracing.js';
import { JwksCache, verifyWebhook, type InboundRequest } from '../verify/index.js';

/** Edge options, from the edge's configuration. */
export interface WebhookRouteOptions {
  /** Largest accepted body in bytes (413 above). */
  bodyLimit: number;
  /** How long a publish may retry while NATS is unavailable before answering 503, in ms. */
  publishTimeoutMs: number;
}

/** Metric outcome per error code: what an operator sees on `switchyard_webhooks_total`. */
const OUTCOMES: Partial<Record<ErrorCode, string>> = {
  SWY_ERR_PROVIDER_UNKNOWN: 'unknown_provider',
  SWY_ERR_PROVIDER_NO_WEBHOOKS: 'unknown_provider',
  SWY_ERR_ACCOUNT_UNKNOWN: 'unknown_account',
  SWY_ERR_ACCOUNT_DISABLED: 'disabled_account',
  SWY_ERR_SIGNATURE_MISSING: 'missing_signature',
  SWY_ERR_SIGNATURE_MISMATCH: 'bad_signature',
  SWY_ERR_WEBHOOK_SECRET_UNSET: 'no_secret',
  SWY_ERR_TIMESTAMP_MISSING: 'bad_timestamp',
  SWY_ERR_TIMESTAMP_INVALID: 'bad_timestamp',
  SWY_ERR_TIMESTAMP_SKEW: 'stale',
  SWY_ERR_PAYLOAD_TOO_LARGE: 'too_large',
  SWY_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported_type',
  SWY_ERR_BUS_UNAVAILABLE: 'unavailable',
  SWY_ERR_APP_SECRET_UNSET: 'no_secret',
  SWY_ERR_TOKEN_MISSING: 'missing_signature',
  SWY_ERR_TOKEN_INVALID: 'bad_signature',
  SWY_ERR_IP_NOT_ALLOWED: 'ip_not_allowed',
  SWY_ERR_JWKS_UNAVAILABLE: 'unavailable',
  SWY_ERR_PROVIDER_APP_UNKNOWN: 'unknown_account',
  SWY_ERR_NO_APP_ROUTING: 'unknown_provider',
  SWY_ERR_HANDSHAKE_TOO_LARGE: 'too_large',
  SWY_ERR_BODY_TOO_DEEP: 'malformed',
  SWY_ERR_CAPTURE_CLOSED: 'capture_refused',
  SWY_ERR_CAPTURE_CONFLICT: 'capture_refused',
};


type AccountRoute = FastifyRequest<{ Params: { provider: string; accountId: string } }>;
type AppRoute = FastifyRequest<{ Params: { provider: string; appId: string } }>;

/** What both routes share once the provider is known and the body is read (not parsed). */
interface Received {
  slug: string;
  provider: LoadedProvider;
  webhook: NonNullable<LoadedProvider['definition']['webhook']>;
  contentType: string;
  format: Parameters<typeof parseBody>[0];
  inbound: InboundRequest;
  /** The request for handshake expressions; `payload` is set only once the body was verified and parsed. */
  view: RequestView;
}

/**
 * Provider-facing ingress, all of it driven by provider definitions:
 * - `POST /webhooks/:provider/:accountId` — a per-account URL;
 * - `POST /webhooks/:provider/apps/:appId` — a provider app's URL (HubSpot, QuickBooks, Xero), the
 *   account(s) found from the payload through the definition's `app_routing` and the remote-key index.
 * Verify first: before the signature check only routing, the media type and unverified handshakes
 * (matched on query/headers, their bodies parsed only under the handshake's small `max_bytes`) run.
 * Then the raw bytes are verified, and only then parsed, matched against verified handshakes, published
 * to RAW with the provider's delivery key as `Nats-Msg-Id`, and answered 2xx once JetStream acked it.
 */
export async function registerWebhookRoutes(app: FastifyInstance, ctx: EdgeParts, options: WebhookRouteOptions): Promise<void> {
  const { accounts, providerApps: apps } = ctx;
  const outcomes = new WeakMap<FastifyRequest, string>();

  // Key sets come from provider definitions, fetched under the provider egress policy like any provider call.
  const jwks = new JwksCache({ fetch: (url, init) => ctx.http.fetch(url, init) });
  const fail = (request: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string) => {
    outcomes.set(request, OUTCOMES[code] ?? 'rejected');
    request.log.info({ route: request.routeOptions.url, outcome: code }, 'webhook refused');
    const error = new SwitchyardError(code, detail);
    const sent = reply.status(error.status).type('application/problem+json');
    if (code === 'SWY_ERR_BUS_UNAVAILABLE' || code === 'SWY_ERR_JWKS_UNAVAILABLE') void sent.header('retry-after', '5');
    return sent.send(toProblem(error));
  };

  /** Provider, content type and bytes, nothing parsed; or a failure already sent. */
  const receive = (request: FastifyRequest, reply: FastifyReply, slug: string): Received | FastifyReply => {
    const provider = ctx.catalog.get(slug);
    if (!provider) return fail(request, reply, 'SWY_ERR_PROVIDER_UNKNOWN', `no provider '${slug}'`);
    const webhook = provider.definition.webhook;
    if (!webhook) return fail(request, reply, 'SWY_ERR_PROVIDER_NO_WEBHOOKS', `${slug} does not send webhooks`);
    const contentType = mediaType(request.headers['content-type']);
    const format = webhook.content_types[contentType];
    if (!format) {
      return fail(request, reply, 'SWY_ERR_UNSUPPORTED_MEDIA_TYPE', `'${contentType || '(none)'}' not accepted; expected ${Object.keys(webhook.content_types).join(', ')}`);
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const inbound: InboundRequest = { method: request.method, url: `${ctx.publicUrl}${request.url}`, path: request.url, headers, body };
    const view: RequestView = { method: request.method, query: request.query as RequestView['query'], headers, payload: undefined };
    return { slug, provider, webhook, contentType, format, inbound, view };
  };

  /** Parses a verified body; false (failure sent) when it nests too deep. Malformed bodies are kept, unparsed. */
  const parseVerified = (request: FastifyRequest, reply: FastifyReply, r: Received): boolean => {
    if (r.inbound.body.length === 0) return true;
    try {
      r.view = { ...r.view, payload: parseBody(r.format, r.inbound.body) };
    } catch (error) {
      if (error instanceof SwitchyardError && error.code === 'SWY_ERR_BODY_TOO_DEEP') {
        fail(request, reply, error.code, error.detail);
        return false;
      }
      // Parsed to answer handshakes and route batches; a verified body that does not parse is kept.
    }
    return true;
  };

  /**
   * Handshakes, then verification: an unverified handshake is answered (or refused as too large) before
   * the signature check; a verified one only after it, on the parsed body. True when a reply was sent.
   */
  const handshake = async (request: FastifyRequest, reply: FastifyReply, r: Received, secrets: readonly string[], verify: () => Promise<boolean>, account?: AccountRecord) => {
    const early = await findUnsignedHandshake(ctx.engine, r.slug, r.webhook.handshakes, r.view, r.inbound.body.length, () => parseBody(r.format, r.inbound.body));
    if (early.found === 'too_large') {
      fail(request, reply, 'SWY_ERR_HANDSHAKE_TOO_LARGE', `${r.slug} handshake '${early.handshake.name}' allows at most ${early.handshake.max_bytes} body bytes before verification; got ${r.inbound.body.length}`);
      return true;
    }
    if (early.found === 'match') return answer(request, reply, r, early.handshake, early.view, secrets, account);
    if (!(await verify())) return true;
    if (!parseVerified(request, reply, r)) return true;
    const found = await findHandshake(ctx.engine, r.slug, r.webhook.handshakes.filter((h) => h.verified), r.view);
    return found ? answer(request, reply, r, found, r.view, secrets, account) : false;
  };

  /**
   * Sends a handshake's reply. A handshake that captures a secret keeps it as pending, and only inside
   * the account's open verification window: outside it, or against a different pending token, the
   * request is refused and nothing changes (the customer confirms the token through the API).
   */
  const answer = async (request: FastifyRequest, reply: FastifyReply, r: Received, found: Handshake, view: RequestView, secrets: readonly string[], account?: AccountRecord) => {
    const captured = account && found.capture_secret ? await capturedSecret(ctx.engine, r.slug, found, view) : undefined;
    if (account && captured) {
      const kept = await capturePending(accounts, account, captured);
      if (!kept.ok) {
        fail(request, reply, kept.code, kept.detail);
        return true;
      }
      request.log.info({ provider: r.slug, account: account.id, handshake: found.name }, 'verification token pending confirmation');
    }
    const rendered = await renderReply(ctx.engine, `${r.slug}/provider.json#handshakes.${found.name}.reply`, found.reply, view, secrets);
    outcomes.set(request, 'handshake');
    void reply.status(rendered.status).header('x-content-type-options', 'nosniff').type(rendered.contentType).send(rendered.body);
    return true;
  };

  /** The provider's expected answer to an accepted delivery, or ours. */
  const accepted = async (request: FastifyRequest, reply: FastifyReply, r: Received, duplicate: boolean, secrets: readonly string[]) => {
    outcomes.set(request, duplicate ? 'duplicate' : 'accepted');
    if (!r.webhook.reply) return reply.status(200).send({ status: 'accepted', duplicate });
    const rendered = await renderReply(ctx.engine, `${r.slug}/provider.json#webhook.reply`, r.webhook.reply, r.view, secrets);
    return reply.status(rendered.status).type(rendered.contentType).send(rendered.body);
  };

  const unavailable = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    request.log.warn({ err: error, route: request.routeOptions.url }, 'raw publish failed; provider will retry');
    return fail(request, reply, 'SWY_ERR_BUS_UNAVAILABLE', error instanceof SwitchyardError ? error.detail : 'publish not acknowledged');
  };

  const appSecretsOf = (record: ProviderAppRecord | undefined) => (record ? apps.secrets(record) : undefined);

  const accountWebhook = async (request: AccountRoute, reply: FastifyReply, trace: TraceContext | undefined) => {
    const { provider: slug, accountId } = request.params;
    const account = await accounts.get(accountId);
    // Another provider's account answers exactly like a missing one: ids are not an oracle.
    if (!account || account.provider !== slug) return fail(request, reply, 'SWY_ERR_ACCOUNT_UNKNOWN', `no ${slug} account '${accountId}'`);
    if (account.status === 'disabled') return fail(request, reply, 'SWY_ERR_ACCOUNT_DISABLED', `account '${accountId}' is disabled`);
    const r = receive(request, reply, slug);
    if (!('inbound' in r)) return r;
    const secrets = accounts.webhookSecrets(account);
    const appSecrets = appSecretsOf(account.provider_app_id ? await apps.get(account.provider_app_id) : undefined);
    const verify = async () => {
      const span = ctx.tracer.start('verify', 'internal', trace);
      const verdict = await verifyWebhook(r.webhook.verify, r.inbound, { secrets, ...(appSecrets ? { appSecrets } : {}), remoteAddress: request.ip, jwks });
      endVerify(span, slug, verdict);
      if (!verdict.ok) fail(request, reply, verdict.code, verdict.detail);
      return verdict.ok;
    };
    // Verifies (and parses) the request unless it was a handshake, answered or refused.
    if (await handshake(request, reply, r, secrets, verify, account)) return reply;
    try {
      const { duplicate } = await publishRaw(
        ctx,
        { slug, webhook: r.webhook, account, contentType: r.contentType, body: r.inbound.body, payload: r.view.payload, headers: r.inbound.headers, trace },
        options.publishTimeoutMs,
      );
      request.log.info({ provider: slug, account: account.id, outcome: duplicate ? 'duplicate' : 'accepted' }, 'webhook accepted');
      return await accepted(request, reply, r, duplicate, secrets);
    } catch (error) {
      return unavailable(request, reply, error);
    }
  };

  const appWebhook = async (request: AppRoute, reply: FastifyReply, trace: TraceContext | undefined) => {
    const { provider: slug, appId } = request.params;
    const providerApp = await apps.get(appId);
    if (!providerApp || providerApp.provider !== slug) return fail(request, reply, 'SWY_ERR_PROVIDER_APP_UNKNOWN', `no ${slug} app '${appId}'`);
    const r = receive(request, reply, slug);
    if (!('inbound' in r)) return r;
    const routing = r.webhook.app_routing;
    if (!routing) return fail(request, reply, 'SWY_ERR_NO_APP_ROUTING', `${slug} sends webhooks to per-account URLs only`);
    const appSecrets = apps.secrets(providerApp);
    const secrets = appSecrets.webhook_secret ?? [];
    const verify = async () => {
      const span = ctx.tracer.start('verify', 'internal', trace);
      const verdict = await verifyWebhook(r.webhook.verify, r.inbound, { secrets, appSecrets, remoteAddress: request.ip });
      endVerify(span, slug, verdict);
      if (!verdict.ok) fail(request, reply, verdict.code, verdict.detail);
      return verdict.ok;
    };
    if (await handshake(request, reply, r, secrets, verify)) return reply;
    try {
      const kept = (code: string, detail: string, body: Buffer) =>
        deadLetterAtEdge(ctx, { slug, appId, contentType: r.contentType, body, code, detail }, options.publishTimeoutMs);
      if (r.view.payload === undefined) {
        await kept('SWY_ERR_BODY_UNPARSABLE', `verified ${r.contentType} body does not parse; cannot route it to an account`, r.inbound.body);
        return await accepted(request, reply, r, false, secrets);
      }
      const { groups, unkeyed } = await groupByRemoteKey(ctx.engine, slug, routing, r.view.payload);
      const routed: Array<{ account: AccountRecord; items: unknown[] }> = [];
      const unknown: unknown[] = [...unkeyed];
      for (const group of groups) {
        const account = await accounts.findByRemoteKey(appId, group.remoteKey);
        if (account && account.status !== 'disabled') routed.push({ account, items: group.items });
        else unknown.push(...group.items);
      }
      if (routed.length === 0) return fail(request, reply, 'SWY_ERR_ACCOUNT_UNKNOWN', `no account of app '${appId}' has the remote key(s) in this delivery`);
      let duplicates = 0;
      for (const [index, { account, items }] of routed.entries()) {
        // One account's delivery keeps its exact bytes; a batch spanning several is split per account.
        const whole = routed.length === 1 && unknown.length === 0;
        const payload = whole ? r.view.payload : await rebuildPayload(ctx.engine, slug, routing, r.view.payload, items);
        const body = whole ? r.inbound.body : Buffer.from(JSON.stringify(payload));
        const { duplicate } = await publishRaw(
          ctx,
          { slug, webhook: r.webhook, account, contentType: whole ? r.contentType : 'application/json', body, payload, headers: r.inbound.headers, split: whole ? undefined : `${index + 1}/${routed.length}`, trace },
          options.publishTimeoutMs,
        );
        if (duplicate) duplicates++;
      }
      if (unknown.length > 0) {
        const rest = Buffer.from(JSON.stringify(await rebuildPayload(ctx.engine, slug, routing, r.view.payload, unknown)));
        await kept('SWY_ERR_ACCOUNT_UNKNOWN', `${unknown.length} item(s) name no account of app '${appId}'`, rest);
      }
      request.log.info({ provider: slug, app: appId, accounts: routed.length, unrouted: unknown.length }, 'app webhook accepted');
      return await accepted(request, reply, r, duplicates === routed.length, secrets);
    } catch (error) {
      if (error instanceof SwitchyardError && error.code !== 'SWY_ERR_BUS_UNAVAILABLE') throw error;
      return unavailable(request, reply, error);
    }
  };

  await app.register(async (scope) => {
    // Keep the exact bytes for every media type: verification must see what the provider signed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) => done(null, body));
    scope.addHook('onResponse', async (request: FastifyRequest<{ Params: { provider: string } }>, reply) => {
      const provider = ctx.catalog.get(request.params.provider) ? request.params.provider : 'unknown';
      const outcome = outcomes.get(request) ?? (reply.statusCode === 413 ? 'too_large' : reply.statusCode >= 500 ? 'error' : 'rejected');
      ctx.metrics.webhooks.inc({ provider, outcome });
    });

    // Each request is a server span (tracing on); `trace` is what its children and RAW carry: the span's
    // context, or with tracing off the provider's own traceparent, unchanged.
    scope.post('/webhooks/:provider/:accountId', async (request: AccountRoute, reply: FastifyReply) => {
      const parent = traceContextOf(request.headers.traceparent, request.headers.tracestate);
      if (!ctx.tracer.enabled) return accountWebhook(request, reply, parent);
      const span = startReceive(ctx.tracer, ACCOUNT_ROUTE, request.params.provider, parent);
      return served(span, reply, accountWebhook(request, reply, span.context ?? parent));
    });

    scope.post('/webhooks/:provider/apps/:appId', async (request: AppRoute, reply: FastifyReply) => {
      const parent = traceContextOf(request.headers.traceparent, request.headers.tracestate);
      if (!ctx.tracer.enabled) return appWebhook(request, reply, parent);
      const span = startReceive(ctx.tracer, APP_ROUTE, request.params.provider, parent);
      return served(span, reply, appWebhook(request, reply, span.context ?? parent));
    });
  });
}
