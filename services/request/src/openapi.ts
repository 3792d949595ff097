import { z } from 'zod';
import { api, ApiMappingPreview, EventEnvelope, MappingOverride, MappingPreview, MappingRollback, OperationalEvent, UNIFIED_MODELS } from '@switchyard/contracts';

type Schema = Record<string, unknown>;
const schema = (type: z.ZodType, io: 'input' | 'output' = 'output'): Schema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(type, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Schema;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: Schema) => ({ content: { 'application/json': { schema: s } } });
const problem = { description: 'Error (see docs/errors.md)', content: { 'application/problem+json': { schema: ref('Problem') } } };
const op = (summary: string, options: { body?: Schema; response?: Schema; status?: string; params?: string[]; query?: string[] } = {}) => ({
  summary,
  ...(options.params || options.query
    ? {
        parameters: [
          ...(options.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
          ...(options.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        ],
      }
    : {}),
  ...(options.body ? { requestBody: { required: true, ...json(options.body) } } : {}),
  responses: { [options.status ?? '200']: { description: 'OK', ...(options.response ? json(options.response) : {}) }, default: problem },
});
const list = (item: Schema) => ({ type: 'object', properties: { data: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } } });

/**
 * The OpenAPI 3.1 document of the customer API, generated from the zod contracts the routes validate
 * with, so it cannot drift from what the server accepts. Served at `GET /openapi.json`.
 */
export function openApiDocument(serverUrl: string): Schema {
  const unified = Object.keys(UNIFIED_MODELS).sort();
  const schemas: Record<string, Schema> = {
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status', 'code', 'detail'],
      properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string', pattern: '^SWY_ERR_' }, detail: { type: 'string' } },
    },
    EventEnvelope: schema(EventEnvelope),
    OperationalEvent: schema(OperationalEvent),
    IntegratedAccount: schema(api.IntegratedAccountView),
    Subscription: schema(api.SubscriptionView),
    ProviderApp: schema(api.ProviderAppView),
    DeliveryAttempt: schema(api.DeliveryAttempt),
    ApiKey: schema(api.ApiKeyView),
    WebhookRegistration: schema(api.WebhookRegistrationView),
    Polling: schema(api.PollingView),
  };
  for (const key of unified) schemas[key.replace('/', '_')] = schema(UNIFIED_MODELS[key]!);

  const paths: Record<string, Record<string, unknown>> = {
    '/v1/environments': { post: { ...op('Create an environment and its API key (admin token)', { body: schema(api.CreateEnvironment, 'input'), status: '201' }) } },
    '/v1/environments/{id}': { delete: op('Delete an environment with its accounts, subscriptions, apps, overrides, keys and stream messages (admin token)', { params: ['id'] }) },
    '/v1/environments/{id}/api-keys': {
      get: op("List the environment's usable API keys, masked (admin token or the environment's key)", { params: ['id'], response: list(ref('ApiKey')) }),
      post: op('Issue another API key (shown once); optionally expire the others after a grace period', { params: ['id'], body: schema(api.CreateApiKey, 'input'), status: '201' }),
    },
    '/v1/environments/{id}/api-keys/{key_id}': { delete: op('Revoke an API key at once (not the last one)', { params: ['id', 'key_id'], status: '204' }) },
    '/v1/provider-apps': {
      post: op('Create a provider app', { body: schema(api.CreateProviderApp, 'input'), response: ref('ProviderApp'), status: '201' }),
      get: op('List provider apps', { response: list(ref('ProviderApp')) }),
    },
    '/v1/provider-apps/{id}': {
      get: op('Read a provider app', { params: ['id'], response: ref('ProviderApp') }),
      patch: op('Change a provider app', { params: ['id'], body: schema(api.UpdateProviderApp, 'input'), response: ref('ProviderApp') }),
      delete: op('Delete a provider app', { params: ['id'], status: '204' }),
    },
    '/v1/integrated-accounts': {
      post: op('Connect an integrated account', { body: schema(api.CreateIntegratedAccount, 'input'), response: ref('IntegratedAccount'), status: '201' }),
      get: op('List integrated accounts', { response: list(ref('IntegratedAccount')) }),
    },
    '/v1/integrated-accounts/{id}': {
      get: op('Read an integrated account', { params: ['id'], response: ref('IntegratedAccount') }),
      patch: op('Change an integrated account', { params: ['id'], body: schema(api.UpdateIntegratedAccount, 'input'), response: ref('IntegratedAccount') }),
      delete: op('Delete an integrated account', { params: ['id'], status: '204' }),
    },
    '/v1/integrated-accounts/{id}/verification': {
      post: op('Open the window in which a provider-POSTed verification token is captured (as pending)', { params: ['id'], body: schema(api.OpenVerification, 'input'), response: ref('IntegratedAccount') }),
    },
    '/v1/integrated-accounts/{id}/verification/confirm': {
      post: op('Confirm the pending token with the value the provider shows; it becomes the webhook secret', { params: ['id'], body: schema(api.ConfirmVerification, 'input'), response: ref('IntegratedAccount') }),
    },
    '/v1/integrated-accounts/{id}/webhook-registration': {
      put: op("Register the hub's webhook at the provider, or bring it in line (idempotent; a failure is in the state)", { params: ['id'], body: schema(api.EnsureWebhookRegistration, 'input'), response: ref('WebhookRegistration') }),
      get: op('The registration: state, provider ids, events, expiry, last error; manual steps where the provider has no API', { params: ['id'], response: ref('WebhookRegistration') }),
      delete: op('Remove the webhook at the provider and forget the registration', { params: ['id'], status: '204' }),
    },
    '/v1/provider-apps/{id}/webhook-registration': {
      put: op("Register the hub's webhook once for every account of the app (providers with registration.scope app: HubSpot)", { params: ['id'], body: schema(api.EnsureWebhookRegistration, 'input'), response: ref('WebhookRegistration') }),
      get: op("The app's registration", { params: ['id'], response: ref('WebhookRegistration') }),
      delete: op("Remove the app's webhook at the provider and forget the registration", { params: ['id'], status: '204' }),
    },
    '/v1/integrated-accounts/{id}/polling': {
      get: op('The poll state of each polled or reconciled resource: last run, cursor, lag, events emitted, missed changes, pause, last error (docs/polling.md)', { params: ['id'], response: ref('Polling') }),
    },
    '/v1/integrated-accounts/{id}/polling/pause': {
      post: op('Pause every poll and reconcile walk of the account, on every replica and across restarts (SWY_ERR_POLLING_NONE when it polls nothing)', { params: ['id'], response: ref('Polling') }),
    },
    '/v1/integrated-accounts/{id}/polling/resume': {
      post: op('Resume a paused account: due resources run at the next tick', { params: ['id'], response: ref('Polling') }),
    },
    '/v1/integrated-accounts/{id}/polling/poll-now': {
      post: op('Run every resource of the account at the next tick, whichever replica holds the poller lease (not while paused)', { params: ['id'], response: ref('Polling') }),
    },
    '/v1/subscriptions': {
      post: op('Subscribe an endpoint (the secret or public key is returned once)', { body: schema(api.CreateSubscription, 'input'), response: ref('Subscription'), status: '201' }),
      get: op('List subscriptions', { response: list(ref('Subscription')) }),
    },
    '/v1/subscriptions/{id}': {
      get: op('Read a subscription', { params: ['id'], response: ref('Subscription') }),
      patch: op('Change a subscription', { params: ['id'], body: schema(api.UpdateSubscription, 'input'), response: ref('Subscription') }),
      delete: op('Delete a subscription', { params: ['id'], status: '204' }),
    },
    '/v1/subscriptions/{id}/rotate-secret': { post: op('Rotate the signing key (the old one signs during the overlap)', { params: ['id'] }) },
    '/v1/subscriptions/{id}/pause': { post: op('Hold deliveries', { params: ['id'], response: ref('Subscription') }) },
    '/v1/subscriptions/{id}/resume': { post: op('Release held deliveries', { params: ['id'], response: ref('Subscription') }) },
    '/v1/subscriptions/{id}/test': {
      post: op('Send a signed test event', { params: ['id'], status: '202', response: { type: 'object', required: ['event_id', 'task_id'], properties: { event_id: { type: 'string' }, task_id: { type: 'string' } } } }),
    },
    '/v1/subscriptions/{id}/recover': { post: op('Re-deliver dead-lettered deliveries since a time', { params: ['id'], body: schema(api.RecoverSubscription, 'input') }) },
    '/v1/subscriptions/{id}/attempts': { get: op('Delivery attempts', { params: ['id'], query: ['status', 'since', 'limit', 'cursor'], response: list(ref('DeliveryAttempt')) }) },
    '/v1/events': {
      get: op('Events still in EVENTS; tail_cursor continues after the last event examined, also at the end (for followers)', {
        query: ['type', 'since', 'limit', 'cursor'],
        response: { ...list(ref('EventEnvelope')), properties: { ...list(ref('EventEnvelope')).properties, tail_cursor: { type: ['string', 'null'] } } },
      }),
    },
    '/v1/events/{id}': { get: op('One event', { params: ['id'], response: ref('EventEnvelope') }) },
    '/v1/events/{id}/attempts': { get: op('Delivery attempts of an event', { params: ['id'], response: list(ref('DeliveryAttempt')) }) },
    '/v1/events/{id}/resend': { post: op('Deliver an event again', { params: ['id'], body: schema(api.ResendEvent, 'input'), status: '202' }) },
    '/v1/mappings/{provider}': {
      get: op('The resolved mapping (?level=override for the override alone)', { params: ['provider'], query: ['level'] }),
      put: op('Deep-merge a partial override', { params: ['provider'], body: schema(MappingOverride, 'input') }),
      delete: op('Remove the override', { params: ['provider'], status: '204' }),
    },
    '/v1/mappings/{provider}/history': { get: op('Override revisions', { params: ['provider'] }) },
    '/v1/mappings/{provider}/rollback': { post: op('Restore a revision', { params: ['provider'], body: schema(MappingRollback, 'input') }) },
    '/v1/mappings/preview': { post: op('Events a payload would produce (nothing published)', { body: schema(MappingPreview, 'input') }) },
    '/v1/mappings/preview/api': { post: op('The unified record a provider record becomes under an API mapping (nothing called)', { body: schema(ApiMappingPreview, 'input') }) },
    '/v1/dead-letters': { get: op('Dead letters of the normalizer (default) or of delivery (stage=delivery)', { query: ['stage', 'provider', 'integrated_account_id', 'subscription_id', 'code', 'since', 'limit', 'cursor'] }) },
    '/v1/dead-letters/replay': { post: op('Replay dead letters through the current mapping', { status: '202' }) },
    '/v1/raw/replay': { post: op('Replay stored raw deliveries', { status: '202' }) },
    '/v1/replays/{id}': { get: op('Replay progress', { params: ['id'] }) },
  };
  for (const key of unified) {
    const [category, resource] = key.split('/');
    const model = ref(key.replace('/', '_'));
    const query = ['integrated_account_id', 'limit', 'cursor', 'updated_after', 'include_remote_data', 'all'];
    const write = { type: 'object', required: ['data'], properties: { data: model } };
    paths[`/unified/${category}/${resource}`] = {
      get: op(`List ${key} (all=true: every page as application/x-ndjson with progress lines, docs/export.md)`, { query, response: { type: 'object', properties: { result: { type: 'array', items: model }, next_cursor: { type: ['string', 'null'] } } } }),
      post: op(`Create ${key} (Idempotency-Key honoured)`, { query: ['integrated_account_id'], body: write, status: '201' }),
    };
    paths[`/unified/${category}/${resource}/{id}`] = {
      get: op(`Read one ${key}`, { params: ['id'], query: ['integrated_account_id', 'include_remote_data'], response: model }),
      patch: op(`Update ${key} (Idempotency-Key honoured)`, { params: ['id'], query: ['integrated_account_id'], body: write }),
      delete: op(`Delete ${key} (Idempotency-Key honoured)`, { params: ['id'], query: ['integrated_account_id'] }),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchyard', version: '0.1.0', description: 'Webhook normalization hub: management API, unified API and proxy. Errors are RFC 9457 problems with SWY_ERR_ codes.' },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
