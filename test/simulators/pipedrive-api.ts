import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';
import { mountPipedriveCrm, type PipedriveCrmState, type PipedriveEntity } from './pipedrive-crm.js';
import { isLoopbackHttp } from './registration-urls.js';

/** A webhook as the simulator stores it (Pipedrive's `POST /v1/webhooks` fields). */
export interface PipedriveWebhook {
  id: number;
  user_id: number;
  event_action: string;
  event_object: string;
  subscription_url: string;
  http_auth_user: string | null;
  http_auth_password: string | null;
  version: string;
  name: string | null;
  is_active: 0 | 1;
  add_time: string;
}

/** A running simulator. */
export interface PipedriveApi {
  readonly url: string;
  readonly hooks: Map<number, PipedriveWebhook>;
  /** The v2 CRM records (persons, organizations, deals, activities) and their knobs. */
  readonly crm: PipedriveCrmState;
  /** Sends a v2 event to every active webhook matching `entity` and `action`, with its basic-auth pair; resolves with each status. */
  send(entity: string, action: 'create' | 'change' | 'delete', id: number, data: Record<string, unknown>): Promise<number[]>;
  close(): Promise<void>;
}

/** The documented cap (pipedrive.readme.io/docs/guide-for-webhooks-v2): 40 webhooks per user. */
export const PIPEDRIVE_WEBHOOKS_PER_USER = 40;

const ACTIONS = new Set(['create', 'change', 'delete', '*']);
const OBJECTS = new Set(['activity', 'deal', 'lead', 'note', 'organization', 'person', 'pipeline', 'product', 'stage', 'user', '*']);

/** Pipedrive's error body (developers.pipedrive.com changelog). */
const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ success: false, error, error_info: 'Please check developers.pipedrive.com', data: null, additional_data: null });

/**
 * Pipedrive's webhooks API (providers.md §4, §21.2): `x-api-token` (a personal API token; the token's
 * owner is the default `user_id`), `POST /v1/webhooks` with `subscription_url` (HTTPS; loopback http
 * accepted here so a test hub can receive), `event_action` (v2 `create|change|delete|*`), `event_object`,
 * `http_auth_user`/`http_auth_password` sent back as `Authorization: Basic`, `version: "2.0"`; at most
 * 40 webhooks per user. Pipedrive's answer to the 41st is not in these sources: the simulator answers 400
 * with an error naming the limit (S). `GET /v1/webhooks` lists, `DELETE /v1/webhooks/{id}` removes.
 */
export async function startPipedriveApi(options: { apiTokens?: Record<string, number>; counts?: Partial<Record<PipedriveEntity | 'leads', number>> } = {}): Promise<PipedriveApi> {
  const tokens = new Map(Object.entries(options.apiTokens ?? { 'pipedrive-token': 1201 }));
  const hooks = new Map<number, PipedriveWebhook>();
  let next = 50;
  const shown = ({ http_auth_password, ...rest }: PipedriveWebhook) => ({ ...rest, http_auth_password: http_auth_password === null ? null : '******' });
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook('onRequest', async (req, reply) => {
    const token = req.headers['x-api-token'];
    if (typeof token !== 'string' || !tokens.has(token)) return fail(reply, 401, 'You need to be authorized to make this request.');
  });
  const crm = mountPipedriveCrm(app, { counts: options.counts ?? {} });
  app.post<{ Body: Partial<PipedriveWebhook> }>('/v1/webhooks', async (req, reply) => {
    const body = req.body ?? {};
    const url = typeof body.subscription_url === 'string' ? body.subscription_url : '';
    if (!/^https:\/\//.test(url) && !isLoopbackHttp(url)) return fail(reply, 400, 'subscription_url must be an HTTPS URL');
    if (!ACTIONS.has(String(body.event_action)) || !OBJECTS.has(String(body.event_object))) return fail(reply, 400, 'event_action or event_object is invalid');
    if (body.version !== '2.0') return fail(reply, 400, 'version must be 2.0 for v2 webhooks');
    const user = typeof body.user_id === 'number' ? body.user_id : tokens.get(req.headers['x-api-token'] as string)!;
    if ([...hooks.values()].filter((h) => h.user_id === user).length >= PIPEDRIVE_WEBHOOKS_PER_USER) return fail(reply, 400, `webhook limit reached: at most ${PIPEDRIVE_WEBHOOKS_PER_USER} webhooks per user`);
    const hook: PipedriveWebhook = {
      id: next++,
      user_id: user,
      event_action: String(body.event_action),
      event_object: String(body.event_object),
      subscription_url: url,
      http_auth_user: typeof body.http_auth_user === 'string' ? body.http_auth_user : null,
      http_auth_password: typeof body.http_auth_password === 'string' ? body.http_auth_password : null,
      version: '2.0',
      name: typeof body.name === 'string' ? body.name : null,
      is_active: 1,
      add_time: new Date().toISOString(),
    };
    rememberSecret('Pipedrive webhook http_auth_password', hook.http_auth_password ?? undefined);
    hooks.set(hook.id, hook);
    return reply.code(201).send({ success: true, status: 'ok', data: shown(hook) });
  });
  app.get('/v1/webhooks', async () => ({ success: true, status: 'ok', data: [...hooks.values()].map(shown) }));
  app.delete<{ Params: { id: string } }>('/v1/webhooks/:id', async (req, reply) => {
    if (!hooks.delete(Number(req.params.id))) return fail(reply, 404, 'Webhook not found');
    return { success: true, status: 'ok', data: { id: Number(req.params.id) } };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    hooks,
    crm,
    send: async (entity, action, id, data) => {
      const statuses: number[] = [];
      for (const hook of hooks.values()) {
        if (!hook.is_active || !['*', entity].includes(hook.event_object) || !['*', action].includes(hook.event_action)) continue;
        const body = JSON.stringify({
          meta: { action, entity, entity_id: String(id), company_id: '7730011', id: randomUUID(), timestamp: new Date().toISOString(), type: 'general', user_id: String(hook.user_id), version: '2.0', webhook_id: String(hook.id), attempt: 1, host: 'acme.pipedrive.com' },
          data: action === 'delete' ? null : { id, ...data },
          previous: action === 'create' ? null : {},
        });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (hook.http_auth_user !== null) headers.authorization = `Basic ${Buffer.from(`${hook.http_auth_user}:${hook.http_auth_password ?? ''}`).toString('base64')}`;
        statuses.push((await fetch(hook.subscription_url, { method: 'POST', headers, body })).status);
      }
      return statuses;
    },
    close: () => app.close(),
  };
}
