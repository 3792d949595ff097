import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { SwitchyardError, toProblem, type ErrorCode } from '@switchyard/contracts';
import { mediaType, parseBody, publishDurable, RAW_HEADERS, sha256Hex, type RuntimeContext } from '@switchyard/runtime';
import { verifyWebhook, type InboundRequest } from '../verify/index.js';

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
};


type WebhookRequest = FastifyRequest<{ Params: { provider: string; accountId: string } }>;

/**
 * `POST /webhooks/:provider/:accountId`: verify on the raw bytes, publish the bytes to RAW with the
 * provider's delivery key as `Nats-Msg-Id`, and answer 200 only once JetStream acknowledged them.
 * Everything provider-specific comes from the provider definition.
 */
export async function registerWebhookRoutes(app: FastifyInstance, ctx: RuntimeContext, options: WebhookRouteOptions): Promise<void> {
  const accounts = await ctx.accounts();
  const outcomes = new WeakMap<FastifyRequest, string>();

  await app.register(async (scope) => {
    // Keep the exact bytes for every media type: verification must see what the provider signed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) => done(null, body));

    scope.addHook('onResponse', async (request: WebhookRequest, reply) => {
      const provider = ctx.catalog.get(request.params.provider) ? request.params.provider : 'unknown';
      const outcome = outcomes.get(request) ?? (reply.statusCode === 413 ? 'too_large' : reply.statusCode >= 500 ? 'error' : 'rejected');
      ctx.metrics.webhooks.inc({ provider, outcome });
    });

    scope.post('/webhooks/:provider/:accountId', async (request: WebhookRequest, reply: FastifyReply) => {
      const fail = (code: ErrorCode, detail: string) => {
        outcomes.set(request, OUTCOMES[code] ?? 'rejected');
        request.log.info({ provider: request.params.provider, account: request.params.accountId, outcome: code }, 'webhook refused');
        const error = new SwitchyardError(code, detail);
        return reply.status(error.status).type('application/problem+json').send(toProblem(error));
      };
      const { provider: slug, accountId } = request.params;
      const provider = ctx.catalog.get(slug);
      if (!provider) return fail('SWY_ERR_PROVIDER_UNKNOWN', `no provider '${slug}'`);
      const webhook = provider.definition.webhook;
      if (!webhook) return fail('SWY_ERR_PROVIDER_NO_WEBHOOKS', `${slug} does not send webhooks`);
      const account = await accounts.get(accountId);
      // Another provider's account answers exactly like a missing one: ids are not an oracle.
      if (!account || account.provider !== slug) return fail('SWY_ERR_ACCOUNT_UNKNOWN', `no ${slug} account '${accountId}'`);
      if (account.status === 'disabled') return fail('SWY_ERR_ACCOUNT_DISABLED', `account '${accountId}' is disabled`);

      const contentType = mediaType(request.headers['content-type']);
      const format = webhook.content_types[contentType];
      if (!format) {
        return fail('SWY_ERR_UNSUPPORTED_MEDIA_TYPE', `'${contentType || '(none)'}' not accepted; expected ${Object.keys(webhook.content_types).join(', ')}`);
      }

      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const inbound: InboundRequest = { method: request.method, url: `${ctx.publicUrl}${request.url}`, path: request.url, headers, body };
      const verdict = await verifyWebhook(webhook.verify, inbound, { secrets: accounts.webhookSecrets(account), remoteAddress: request.ip });
      if (!verdict.ok) return fail(verdict.code, verdict.detail);

      // Verified. From here on the bytes are kept even if they do not parse: the normalizer dead-letters them.
      const bodySha = sha256Hex(body);
      let eventKey = bodySha;
      if (webhook.event_key !== 'body_sha256') {
        let payload: unknown;
        try {
          payload = parseBody(format, body);
        } catch {
          payload = undefined;
        }
        const key = payload === undefined ? undefined : await ctx.engine
          .evaluate(`${slug}/provider.json#webhook.event_key`, webhook.event_key, { headers, payload, body_sha256: bodySha })
          .catch(() => undefined);
        eventKey = typeof key === 'string' || typeof key === 'number' ? String(key) : bodySha;
      }

      const raw = natsHeaders();
      raw.set(RAW_HEADERS.provider, slug);
      raw.set(RAW_HEADERS.account, account.id);
      raw.set(RAW_HEADERS.environment, account.environment_id);
      raw.set(RAW_HEADERS.receivedAt, new Date().toISOString());
      raw.set(RAW_HEADERS.contentType, contentType);
      raw.set(RAW_HEADERS.eventKey, eventKey);
      raw.set(RAW_HEADERS.origin, 'webhook');
      for (const name of webhook.keep_headers) {
        const value = headers[name.toLowerCase()];
        if (value !== undefined) raw.set(`${RAW_HEADERS.keptPrefix}${name.toLowerCase()}`, value);
      }
      let duplicate: boolean;
      try {
        const ack = await publishDurable(
          ctx.bus.js,
          `raw.${slug}.${account.id}`,
          body,
          { msgID: `${account.id}:${sha256Hex(eventKey).slice(0, 40)}`, headers: raw },
          options.publishTimeoutMs,
        );
        duplicate = ack.duplicate;
      } catch (error) {
        outcomes.set(request, 'unavailable');
        request.log.warn({ err: error, provider: slug, account: account.id }, 'raw publish failed; provider will retry');
        const coded = error instanceof SwitchyardError ? error : new SwitchyardError('SWY_ERR_BUS_UNAVAILABLE', undefined, { cause: error });
        return reply.status(503).header('retry-after', '5').type('application/problem+json').send(toProblem(coded));
      }
      outcomes.set(request, duplicate ? 'duplicate' : 'accepted');
      request.log.info({ provider: slug, account: account.id, outcome: duplicate ? 'duplicate' : 'accepted' }, 'webhook accepted');
      return reply.status(200).send({ status: 'accepted', duplicate });
    });
  });
}
