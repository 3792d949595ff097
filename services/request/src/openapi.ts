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
const text = { type: 'string' };

interface OpOptions {
  body?: Schema;
  /** The JSON answer of `status`; unset with a status other than 204: the answer is described by `content`. */
  response?: Schema;
  status?: string;
  /** Media types of the answer when it is not (only) JSON, e.g. NDJSON or a provider's own reply. */
  content?: Record<string, Schema>;
  /** Further answers that are not errors (`{ '503': … }`). */
  also?: Record<string, unknown>;
  params?: string[];
  query?: string[];
  /** No bearer token: the route authenticates otherwise (a provider's signature, a connect state). */
  open?: boolean;
}

const op = (summary: string, options: OpOptions = {}) => {
  const status = options.status ?? '200';
  const content = { ...(options.response ? { 'application/json': { schema: options.response } } : {}), ...Object.fromEntries(Object.entries(options.content ?? {}).map(([type, s]) => [type, { schema: s }])) };
  if (status !== '204' && status !== '302' && Object.keys(content).length === 0) throw new Error(`OpenAPI: '${summary}' answers ${status} without a documented body`);
  return {
    summary,
    ...(options.open ? { security: [] } : {}),
    ...(options.params || options.query
      ? {
          parameters: [
            ...(options.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
            ...(options.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          ],
        }
      : {}),
    ...(options.body ? { requestBody: { required: true, ...json(options.body) } } : {}),
    responses: {
      [status]: { description: status === '204' ? 'No content' : status === '302' ? 'Redirect (Location)' : 'OK', ...(Object.keys(content).length > 0 ? { content } : {}) },
      ...options.also,
      default: problem,
    },
  };
};
/** Everything at once (the KV-backed collections: accounts, subscriptions, apps, keys). */
const all = (item: Schema) => ({ type: 'object', required: ['data'], properties: { data: { type: 'array', items: item } } });
/** One page of a stream, and where the next one starts (null at the end). */
const list = (item: Schema) => ({ type: 'object', required: ['data', 'next_cursor'], properties: { data: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } } });

/**
 * The OpenAPI 3.1 document of everything the hub serves over HTTP — the management API, the unified
 * API, the proxy, the webhook ingress and the operations routes — generated from the zod contracts the
 * routes validate with and answer in, so it cannot drift from the wire (the test suite checks every
 * answer it receives against it). Served at `GET /openapi.json`.
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
    AnyEvent: { anyOf: [ref('EventEnvelope'), ref('OperationalEvent')] },
    Environment: schema(api.Environment),
    EnvironmentCreated: schema(api.EnvironmentCreated),
    EnvironmentDeleted: schema(api.EnvironmentDeleted),
    IntegratedAccount: schema(api.IntegratedAccountView),
    Subscription: schema(api.SubscriptionView),
    SubscriptionCreated: schema(api.SubscriptionCreated),
    SubscriptionRotated: schema(api.SubscriptionRotated),
    TestEventSent: schema(api.TestEventSent),
    Recovered: schema(api.Recovered),
    EventResent: schema(api.EventResent),
    ProviderApp: schema(api.ProviderAppView),
    DeliveryAttempt: schema(api.DeliveryAttempt),
    ApiKey: schema(api.ApiKeyView),
    ApiKeyCreated: schema(api.ApiKeyCreated),
    WebhookRegistration: schema(api.WebhookRegistrationView),
    Polling: schema(api.PollingView),
    DeadLetter: schema(api.DeadLetter),
    ReplayJob: schema(api.ReplayJob),
    ResolvedMapping: schema(api.ResolvedMappingView),
    MappingOverride: schema(api.MappingOverrideView),
    MappingHistory: schema(api.MappingHistory),
    MappingPreviewAnswer: schema(api.MappingPreviewAnswer),
    ApiMappingPreviewAnswer: schema(api.ApiMappingPreviewAnswer),
    ConnectAuthorization: schema(api.ConnectAuthorization),
    WebhookAccepted: schema(api.WebhookAccepted),
  };
  for (const key of unified) schemas[key.replace('/', '_')] = schema(UNIFIED_MODELS[key]!);

  const mappingRoutes = (base: string, params: string[], level: string) => ({
    [base]: {
      get: op(`The mapping in force ${level} (default ?level=resolved), or the override stored there alone (?level=override)`, {
        params,
        query: ['level'],
        response: { anyOf: [ref('ResolvedMapping'), ref('MappingOverride')] },
      }),
      put: op(`Deep-merge a partial override ${level} (validated and compiled before it is stored)`, { params, body: schema(MappingOverride, 'input'), response: ref('ResolvedMapping') }),
      delete: op(`Remove the override ${level}`, { params, status: '204' }),
    },
    [`${base}/history`]: { get: op(`Revisions of the override ${level}, deletions included`, { params, response: ref('MappingHistory') }) },
    [`${base}/rollback`]: { post: op(`Restore a revision of the override ${level}`, { params, body: schema(MappingRollback, 'input'), response: ref('ResolvedMapping') }) },
  });
  const webhook = (summary: string, params: string[]) => ({
    post: op(summary, {
      params,
      open: true,
      body: {},
      response: ref('WebhookAccepted'),
      // A provider that expects its own answer (a handshake echo, a SOAP Ack) gets what its definition declares.
      content: { 'text/plain': text, 'text/xml': text },
    }),
  });

  const paths: Record<string, Record<string, unknown>> = {
    '/healthz': { get: op('Liveness: the process answers', { open: true, response: schema(api.Health) }) },
    '/readyz': { get: op('Readiness: NATS connected (503 while not)', { open: true, response: schema(api.Readiness), also: { '503': { description: 'Not ready', ...json(schema(api.Readiness)) } } }) },
    '/metrics': { get: op('Prometheus metrics (bearer: the metrics token, not an API key)', { content: { 'text/plain': text } }) },
    '/openapi.json': { get: op('This document', { open: true, response: { type: 'object' } }) },
    '/webhooks/{provider}/{accountId}': webhook("A provider's webhook for one integrated account: verified before anything else, stored on RAW, acknowledged", ['provider', 'accountId']),
    '/webhooks/{provider}/apps/{appId}': webhook("A provider's webhook for every account of a provider app, routed by the remote key in the body", ['provider', 'appId']),
    '/connect/callback': { get: op("OAuth2 authorization-code callback: exchanges the code, stores the account, redirects to the connect request's redirect_uri", { open: true, query: ['code', 'state', 'error'], status: '302' }) },
    '/v1/connect/{provider}/authorize': {
      get: op("Start an OAuth2 connection: the provider's authorization URL with a single-use state (and PKCE where declared)", { params: ['provider'], query: ['redirect_uri', 'provider_app_id'], response: ref('ConnectAuthorization') }),
    },
    '/proxy/{path}': Object.fromEntries(
      ['get', 'post', 'put', 'patch', 'delete'].map((method) => [
        method,
        op("Pass-through to the provider with the account's credentials (x-integrated-account-id); the provider's answer as it came", { params: ['path'], content: { '*/*': {} } }),
      ]),
    ),
    '/v1/environments': { post: op('Create an environment and its API key (admin token); the key is shown only here', { body: schema(api.CreateEnvironment, 'input'), response: ref('EnvironmentCreated'), status: '201' }) },
    '/v1/environments/{id}': { delete: op('Delete an environment with its accounts, subscriptions, apps, overrides, keys and stream messages (admin token)', { params: ['id'], response: ref('EnvironmentDeleted') }) },
    '/v1/environments/{id}/api-keys': {
      get: op("List the environment's usable API keys, masked (admin token or the environment's key)", { params: ['id'], response: all(ref('ApiKey')) }),
      post: op('Issue another API key (shown once); optionally expire the others after a grace period', { params: ['id'], body: schema(api.CreateApiKey, 'input'), response: ref('ApiKeyCreated'), status: '201' }),
    },
    '/v1/environments/{id}/api-keys/{key_id}': { delete: op('Revoke an API key at once (not the last one)', { params: ['id', 'key_id'], status: '204' }) },
    '/v1/provider-apps': {
      post: op('Create a provider app', { body: schema(api.CreateProviderApp, 'input'), response: ref('ProviderApp'), status: '201' }),
      get: op('List provider apps', { response: all(ref('ProviderApp')) }),
    },
    '/v1/provider-apps/{id}': {
      get: op('Read a provider app', { params: ['id'], response: ref('ProviderApp') }),
      patch: op('Change a provider app', { params: ['id'], body: schema(api.UpdateProviderApp, 'input'), response: ref('ProviderApp') }),
      delete: op('Delete a provider app', { params: ['id'], status: '204' }),
    },
    '/v1/integrated-accounts': {
      post: op('Connect an integrated account', { body: schema(api.CreateIntegratedAccount, 'input'), response: ref('IntegratedAccount'), status: '201' }),
      get: op('List integrated accounts', { response: all(ref('IntegratedAccount')) }),
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
      post: op('Subscribe an endpoint (the secret or public key is returned once)', { body: schema(api.CreateSubscription, 'input'), response: ref('SubscriptionCreated'), status: '201' }),
      get: op('List subscriptions', { response: all(ref('Subscription')) }),
    },
    '/v1/subscriptions/{id}': {
      get: op('Read a subscription', { params: ['id'], response: ref('Subscription') }),
      patch: op('Change a subscription', { params: ['id'], body: schema(api.UpdateSubscription, 'input'), response: ref('Subscription') }),
      delete: op('Delete a subscription', { params: ['id'], status: '204' }),
    },
    '/v1/subscriptions/{id}/rotate-secret': { post: op('Rotate the signing key (shown once; the old one signs during the overlap)', { params: ['id'], response: ref('SubscriptionRotated') }) },
    '/v1/subscriptions/{id}/pause': { post: op('Hold deliveries', { params: ['id'], response: ref('Subscription') }) },
    '/v1/subscriptions/{id}/resume': { post: op('Release held deliveries', { params: ['id'], response: ref('Subscription') }) },
    '/v1/subscriptions/{id}/test': { post: op('Send a signed test event', { params: ['id'], status: '202', response: ref('TestEventSent') }) },
    '/v1/subscriptions/{id}/recover': { post: op('Re-deliver dead-lettered deliveries since a time', { params: ['id'], body: schema(api.RecoverSubscription, 'input'), response: ref('Recovered') }) },
    '/v1/subscriptions/{id}/attempts': { get: op('Delivery attempts', { params: ['id'], query: ['status', 'since', 'limit', 'cursor'], response: list(ref('DeliveryAttempt')) }) },
    '/v1/events': {
      get: op('Events still in EVENTS, unified and operational; tail_cursor continues after the last event examined, also at the end (for followers)', {
        query: ['type', 'since', 'limit', 'cursor'],
        response: { ...list(ref('AnyEvent')), required: ['data', 'next_cursor', 'tail_cursor'], properties: { ...list(ref('AnyEvent')).properties, tail_cursor: { type: ['string', 'null'] } } },
      }),
    },
    '/v1/events/{id}': { get: op('One event', { params: ['id'], response: ref('AnyEvent') }) },
    '/v1/events/{id}/attempts': { get: op('Delivery attempts of an event', { params: ['id'], response: list(ref('DeliveryAttempt')) }) },
    '/v1/events/{id}/resend': { post: op('Deliver an event again', { params: ['id'], body: schema(api.ResendEvent, 'input'), status: '202', response: ref('EventResent') }) },
    ...mappingRoutes('/v1/mappings/{provider}', ['provider'], 'for the environment'),
    ...mappingRoutes('/v1/mappings/{provider}/accounts/{accountId}', ['provider', 'accountId'], 'for one integrated account'),
    '/v1/mappings/preview': { post: op('Events a payload would produce (nothing published)', { body: schema(MappingPreview, 'input'), response: ref('MappingPreviewAnswer') }) },
    '/v1/mappings/preview/api': { post: op('The unified record a provider record becomes under an API mapping (nothing called)', { body: schema(ApiMappingPreview, 'input'), response: ref('ApiMappingPreviewAnswer') }) },
    '/v1/dead-letters': {
      get: op('Dead letters of the normalizer (default) or of delivery (stage=delivery); bodies never shown', {
        query: ['stage', 'provider', 'integrated_account_id', 'subscription_id', 'code', 'since', 'limit', 'cursor'],
        response: list(ref('DeadLetter')),
      }),
    },
    '/v1/dead-letters/replay': { post: op('Replay dead letters through the current mapping', { body: schema(api.ReplayDeadLetters, 'input'), status: '202', response: ref('ReplayJob') }) },
    '/v1/raw/replay': { post: op('Replay stored raw deliveries', { body: schema(api.ReplayRaw, 'input'), status: '202', response: ref('ReplayJob') }) },
    '/v1/replays/{id}': { get: op('Replay progress', { params: ['id'], response: ref('ReplayJob') }) },
  };
  for (const key of unified) {
    const [category, resource] = key.split('/');
    const model = ref(key.replace('/', '_'));
    const query = ['integrated_account_id', 'limit', 'cursor', 'updated_after', 'include_remote_data', 'all'];
    const write = { type: 'object', required: ['data'], properties: { data: model } };
    const written = { type: 'object', required: ['remote_id', 'result'], properties: { remote_id: { type: ['string', 'null'] }, result: { anyOf: [model, { type: 'null' }] } } };
    paths[`/unified/${category}/${resource}`] = {
      get: op(`List ${key} (all=true: every page as application/x-ndjson with progress lines, docs/export.md)`, {
        query,
        response: { type: 'object', required: ['result', 'next_cursor'], properties: { result: { type: 'array', items: model }, next_cursor: { type: ['string', 'null'] } } },
        content: { 'application/x-ndjson': text },
      }),
      post: op(`Create ${key} (Idempotency-Key honoured)`, { query: ['integrated_account_id'], body: write, status: '201', response: written }),
    };
    paths[`/unified/${category}/${resource}/{id}`] = {
      get: op(`Read one ${key}`, { params: ['id'], query: ['integrated_account_id', 'include_remote_data'], response: model }),
      patch: op(`Update ${key} (Idempotency-Key honoured)`, { params: ['id'], query: ['integrated_account_id'], body: write, response: written }),
      delete: op(`Delete ${key} (Idempotency-Key honoured)`, { params: ['id'], query: ['integrated_account_id'], response: { type: 'object', required: ['remote_id'], properties: { remote_id: { type: 'string' } } } }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard',
      version: '0.1.0',
      description: 'Webhook normalization hub: management API, unified API, proxy, webhook ingress and operations routes. Errors are RFC 9457 problems with SWY_ERR_ codes.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
