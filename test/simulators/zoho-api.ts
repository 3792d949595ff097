import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';
import { isLoopbackHttp } from './registration-urls.js';
import { mountZohoRecords, zohoRecordsState, type ZohoRecordsState } from './zoho-records.js';

/** A watch channel as the simulator stores it. */
export interface ZohoChannel {
  channel_id: string;
  events: string[];
  channel_expiry: string;
  token: string | null;
  notify_url: string;
  version: string;
}

/** A running Zoho CRM simulator: accounts token endpoint and the Notification API. */
export interface ZohoApi {
  readonly url: string;
  /** `{accounts_url}/oauth/v2/token`, relayed to the OAuth2 provider (refresh tokens, 1 h access tokens). */
  readonly accountsUrl: string;
  readonly oauth: OAuth2ProviderSimulator;
  readonly channels: Map<string, ZohoChannel>;
  /** Every enable (POST) and update (PUT) of a channel: its id and the expiry it replaced (null for a new one). */
  readonly changes: Array<{ channel_id: string; previous: string | null; next: string }>;
  /** The records API: Contacts, Accounts, Deals, Leads, request counts, throttling. */
  readonly crm: ZohoRecordsState;
  /** Sends a notification for `module` records to every live channel watching them; resolves with each status. */
  notify(module: string, operation: 'insert' | 'update' | 'delete', ids: string[]): Promise<number[]>;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
/** Channel expiry maxima (help.zoho.com Kaizen #170): 1 day on API v2–v3, 1 week on v4 and later; 1 h when omitted. */
export const zohoMaxExpiryMs = (version: string) => (/^v(2|2\.1|3)$/.test(version) ? 24 * HOUR : 7 * 24 * HOUR);
const OPERATIONS: Record<string, string> = { insert: 'create', update: 'edit', delete: 'delete' };

const zohoError = (reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}) =>
  reply.code(status).send({ watch: [{ code, details, message, status: 'error' }] });

/**
 * Zoho CRM's Notification API (zoho.com/crm/developer/docs/api/v8/notifications/*, providers.md §5/§21.3):
 * `Authorization: Zoho-oauthtoken <token>` checked against the OAuth2 provider (401 `INVALID_TOKEN`);
 * `POST /crm/{version}/actions/watch` enables channels (`channel_id` long and mandatory, `notify_url`
 * mandatory, `token` ≤ 50 characters, `channel_expiry` at most 1 day on v2–v3 and 1 week on v4+, 1 h when
 * left out), `PUT` replaces a channel's details, `GET` lists, `DELETE ?channel_ids=` disables. A channel
 * past its expiry is gone and notifies nothing. The error shapes follow the docs' examples (U).
 */
export async function startZohoApi(): Promise<ZohoApi> {
  const oauth = await startOAuth2Provider({ clientId: 'zoho-client', clientSecret: 'zoho-secret', accessTokenTtlS: 3_600 });
  const channels = new Map<string, ZohoChannel>();
  const changes: ZohoApi['changes'] = [];
  const records = zohoRecordsState();
  const live = (c: ZohoChannel | undefined) => (c && Date.parse(c.channel_expiry) > Date.now() ? c : undefined);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/oauth/v2/token', async (req, reply) => {
    const relayed = await fetch(oauth.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }, body: typeof req.body === 'string' ? req.body : '' });
    return reply.code(relayed.status).header('content-type', 'application/json').send(await relayed.text());
  });

  const authorized = async (req: FastifyRequest, reply: FastifyReply) => {
    const token = /^Zoho-oauthtoken (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !(await oauth.introspect(token))) return reply.code(401).send({ code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' });
  };
  type Watch = { Params: { version: string }; Body: { watch?: Array<Partial<ZohoChannel> & { channel_id?: unknown }> } };
  const upsert = (replace: boolean) => async (req: FastifyRequest<Watch>, reply: FastifyReply) => {
    const [entry] = req.body?.watch ?? [];
    if (!entry) return zohoError(reply, 400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'watch' });
    const id = typeof entry.channel_id === 'number' || typeof entry.channel_id === 'string' ? String(entry.channel_id) : '';
    if (!/^\d{1,19}$/.test(id)) return zohoError(reply, 400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'channel_id' });
    const url = typeof entry.notify_url === 'string' ? entry.notify_url : '';
    if (!/^https:\/\//.test(url) && !isLoopbackHttp(url)) return zohoError(reply, 400, 'INVALID_DATA', 'invalid notify_url', { api_name: 'notify_url' });
    if (typeof entry.token === 'string' && entry.token.length > 50) return zohoError(reply, 400, 'INVALID_DATA', 'token length exceeds 50 characters', { api_name: 'token' });
    const expiry = entry.channel_expiry === undefined ? Date.now() + HOUR : Date.parse(String(entry.channel_expiry));
    if (Number.isNaN(expiry) || expiry <= Date.now() || expiry > Date.now() + zohoMaxExpiryMs(req.params.version)) {
      return zohoError(reply, 400, 'INVALID_DATA', 'invalid channel_expiry', { api_name: 'channel_expiry', maximum_ms: zohoMaxExpiryMs(req.params.version) });
    }
    const existing = live(channels.get(id));
    if (replace && !existing) return zohoError(reply, 400, 'INVALID_DATA', 'the channel is not subscribed', { api_name: 'channel_id' });
    const channel: ZohoChannel = { channel_id: id, events: (entry.events as string[]) ?? [], channel_expiry: new Date(expiry).toISOString(), token: typeof entry.token === 'string' ? entry.token : null, notify_url: url, version: req.params.version };
    rememberSecret('Zoho channel token', channel.token ?? undefined);
    changes.push({ channel_id: id, previous: existing?.channel_expiry ?? null, next: channel.channel_expiry });
    channels.set(id, channel);
    return {
      watch: [{ code: 'SUCCESS', details: { events: channel.events.map((e) => ({ channel_expiry: channel.channel_expiry, resource_uri: `${url}`, resource_id: '5725767000000002175', resource_name: e.split('.')[0], channel_id: id })) }, message: 'Successfully subscribed for actions-watch of the given module', status: 'success' }],
    };
  };
  app.register(async (crm) => {
    crm.addHook('onRequest', authorized);
    crm.post('/crm/:version/actions/watch', upsert(false));
    crm.put('/crm/:version/actions/watch', upsert(true));
    crm.get('/crm/:version/actions/watch', async () => ({ watch: [...channels.values()].filter((c) => live(c)).map(({ token: _t, ...c }) => c) }));
    crm.delete<{ Querystring: { channel_ids?: string } }>('/crm/:version/actions/watch', async (req) => {
      const ids = (req.query.channel_ids ?? '').split(',').filter(Boolean);
      for (const id of ids) channels.delete(id);
      return { watch: ids.map((id) => ({ code: 'SUCCESS', details: { channel_id: id }, message: 'Successfully unsubscribed from actions-watch', status: 'success' })) };
    });
    mountZohoRecords(crm, records);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    accountsUrl: url,
    oauth,
    channels,
    changes,
    crm: records,
    notify: async (module, operation, ids) => {
      const statuses: number[] = [];
      for (const channel of channels.values()) {
        if (!live(channel) || !channel.events.some((e) => e === `${module}.all` || e === `${module}.${OPERATIONS[operation]}`)) continue;
        const body = JSON.stringify({ server_time: Date.now(), query_params: {}, module, resource_uri: `${url}/crm/${channel.version}/${module}`, ids, operation, channel_id: channel.channel_id, token: channel.token });
        statuses.push((await fetch(channel.notify_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
      }
      return statuses;
    },
    close: async () => {
      await app.close();
      await oauth.close();
    },
  };
}
