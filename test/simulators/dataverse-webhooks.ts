import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { isLoopbackHttp } from './registration-urls.js';

/** A `serviceendpoint` row of contract 8 (Webhook). */
export interface DataverseServiceEndpoint {
  serviceendpointid: string;
  name: string;
  url: string;
  contract: number;
  authtype: number;
  /** HttpHeader (5): the header pairs parsed out of the `<settings>` authvalue. */
  headers: Record<string, string>;
  messageformat: number;
}

/** An `sdkmessageprocessingstep` row bound to an endpoint, a message and an entity's filter. */
export interface DataverseStep {
  sdkmessageprocessingstepid: string;
  name: string;
  serviceendpointid: string;
  message: string;
  entity: string;
  stage: number;
  mode: number;
  statecode: 0 | 1;
}

/** A running simulator. */
export interface DataverseWebhooks {
  readonly url: string;
  readonly endpoints: Map<string, DataverseServiceEndpoint>;
  readonly steps: Map<string, DataverseStep>;
  /**
   * What Dataverse does after `message` on a row of `entity`: for every active step registered for them, it
   * POSTs a RemoteExecutionContext to the step's endpoint with the endpoint's header pairs. Resolves with each status.
   */
  fire(entity: string, message: 'Create' | 'Update' | 'Delete', id: string, attributes: Record<string, unknown>): Promise<number[]>;
  close(): Promise<void>;
}

const MESSAGES = ['Create', 'Update', 'Delete'] as const;
const ENTITIES = ['contact', 'account', 'opportunity', 'lead', 'phonecall', 'email', 'appointment', 'task'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Dataverse's OData error body. */
const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

/** `<settings><setting name="…" value="…" /></settings>` → pairs (the HttpHeader authvalue format, S). */
function headerPairs(authvalue: string): Record<string, string> | undefined {
  if (!/^\s*<settings>[\s\S]*<\/settings>\s*$/.test(authvalue)) return undefined;
  const pairs: Record<string, string> = {};
  for (const match of authvalue.matchAll(/<setting\s+name="([^"]+)"\s+value="([^"]*)"\s*\/>/g)) pairs[match[1]!.toLowerCase()] = match[2]!;
  return Object.keys(pairs).length > 0 ? pairs : undefined;
}

/**
 * Dataverse webhook registration through the Web API (providers.md §21.4): `POST serviceendpoints`
 * (`contract` 8 Webhook, `authtype` 4 WebhookKey / 5 HttpHeader / 6 HttpQueryString, `authvalue`,
 * `messageformat` 2 JSON, only ports 80 and 443 — loopback http on any port is accepted so a test hub can
 * receive), then `sdkmessages` and `sdkmessagefilters` lookups and `POST sdkmessageprocessingsteps` with
 * `@odata.bind` references, stage 40 post-operation, mode 1 asynchronous (the sequence is from community
 * code: S). `Prefer: return=representation` answers 201 with the row, else 204 with `OData-EntityId`
 * (Web API conventions). Only HttpHeader endpoints deliver here: the definition uses that type. Bearer
 * auth with `accessToken`.
 */
export async function startDataverseWebhooks(options: { accessToken?: string } = {}): Promise<DataverseWebhooks> {
  const token = options.accessToken ?? 'dv-access-token';
  const endpoints = new Map<string, DataverseServiceEndpoint>();
  const steps = new Map<string, DataverseStep>();
  const messageIds = new Map<string, string>(MESSAGES.map((m) => [randomUUID(), m]));
  const filterIds = new Map<string, { message: string; entity: string }>();
  for (const [messageId, message] of messageIds) for (const entity of ENTITIES) filterIds.set(randomUUID(), { message: messageId, entity });

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${token}`) return reply.code(401).header('www-authenticate', 'Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize').send();
  });
  const created = (req: FastifyRequest, reply: FastifyReply, set: string, id: string, row: object) =>
    String(req.headers.prefer ?? '').includes('return=representation')
      ? reply.code(201).send(row)
      : reply.code(204).header('odata-entityid', `${req.protocol}://${req.headers.host}/api/data/v9.2/${set}(${id})`).send();
  const filterOf = (req: FastifyRequest) => String((req.query as Record<string, unknown>).$filter ?? '');

  app.post<{ Body: Record<string, unknown> }>('/api/data/v9.2/serviceendpoints', async (req, reply) => {
    const body = req.body ?? {};
    const url = typeof body.url === 'string' ? body.url : '';
    let port: string;
    try {
      const parsed = new URL(url);
      port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    } catch {
      return fail(reply, 400, '0x80040203', 'Invalid url');
    }
    if (!isLoopbackHttp(url) && !['80', '443'].includes(port)) return fail(reply, 400, '0x80040203', 'Only ports 80 and 443 are allowed');
    if (body.contract !== 8) return fail(reply, 400, '0x80040203', 'contract must be 8 (Webhook)');
    if (![4, 5, 6].includes(body.authtype as number)) return fail(reply, 400, '0x80040203', 'authtype must be WebhookKey, HttpHeader or HttpQueryString');
    const headers = body.authtype === 5 ? headerPairs(String(body.authvalue ?? '')) : {};
    if (!headers) return fail(reply, 400, '0x80040203', 'authvalue is not valid HttpHeader settings');
    const row: DataverseServiceEndpoint = { serviceendpointid: randomUUID(), name: String(body.name ?? ''), url, contract: 8, authtype: body.authtype as number, headers, messageformat: Number(body.messageformat ?? 2) };
    endpoints.set(row.serviceendpointid, row);
    const { headers: _secret, ...shown } = row;
    return created(req, reply, 'serviceendpoints', row.serviceendpointid, shown);
  });

  app.get('/api/data/v9.2/sdkmessages', async (req) => {
    const name = /^name eq '([A-Za-z]+)'$/.exec(filterOf(req))?.[1];
    return { value: [...messageIds].filter(([, m]) => m === name).map(([sdkmessageid, m]) => ({ sdkmessageid, name: m })) };
  });
  app.get('/api/data/v9.2/sdkmessagefilters', async (req) => {
    const match = /^primaryobjecttypecode eq '([a-z]+)' and _sdkmessageid_value eq ([0-9a-f-]+)$/i.exec(filterOf(req));
    return { value: match ? [...filterIds].filter(([, f]) => f.entity === match[1] && f.message === match[2]).map(([sdkmessagefilterid]) => ({ sdkmessagefilterid })) : [] };
  });

  const bound = (value: unknown, set: string) => (typeof value === 'string' ? new RegExp(`^/${set}\\(([0-9a-f-]+)\\)$`, 'i').exec(value)?.[1] : undefined);
  app.post<{ Body: Record<string, unknown> }>('/api/data/v9.2/sdkmessageprocessingsteps', async (req, reply) => {
    const body = req.body ?? {};
    const endpoint = bound(body['eventhandler_serviceendpoint@odata.bind'], 'serviceendpoints');
    const message = bound(body['sdkmessageid@odata.bind'], 'sdkmessages');
    const filter = bound(body['sdkmessagefilterid@odata.bind'], 'sdkmessagefilters');
    if (!endpoint || !endpoints.has(endpoint)) return fail(reply, 400, '0x80040217', 'eventhandler_serviceendpoint does not exist');
    if (!message || !messageIds.has(message)) return fail(reply, 400, '0x80040217', 'sdkmessageid does not exist');
    if (!filter || filterIds.get(filter)?.message !== message) return fail(reply, 400, '0x80040217', 'sdkmessagefilterid does not exist for this message');
    if (body.stage !== 40 && body.mode === 1) return fail(reply, 400, '0x80040203', 'asynchronous steps must be post-operation (stage 40)');
    const row: DataverseStep = { sdkmessageprocessingstepid: randomUUID(), name: String(body.name ?? ''), serviceendpointid: endpoint, message: messageIds.get(message)!, entity: filterIds.get(filter)!.entity, stage: Number(body.stage), mode: Number(body.mode), statecode: 0 };
    steps.set(row.sdkmessageprocessingstepid, row);
    return created(req, reply, 'sdkmessageprocessingsteps', row.sdkmessageprocessingstepid, row);
  });
  /** `GET|DELETE /{set}({id})`: one row by key (OData key syntax, parsed here rather than by the router). */
  const tables: Record<string, Map<string, object>> = { serviceendpoints: endpoints, sdkmessageprocessingsteps: steps };
  const row = (segment: string) => {
    const match = /^([a-z]+)\(([0-9a-f-]+)\)$/i.exec(segment);
    const table = match ? tables[match[1]!] : undefined;
    return match && table && GUID.test(match[2]!) ? { table, set: match[1]!, id: match[2]! } : undefined;
  };
  app.get<{ Params: { row: string } }>('/api/data/v9.2/:row', async (req, reply) => {
    const found = row(req.params.row);
    const value = found?.set === 'sdkmessageprocessingsteps' ? found.table.get(found.id) : undefined;
    return value ?? fail(reply, 404, '0x80040217', `${req.params.row} Does Not Exist`);
  });
  app.delete<{ Params: { row: string } }>('/api/data/v9.2/:row', async (req, reply) => {
    const found = row(req.params.row);
    if (!found || !found.table.delete(found.id)) return fail(reply, 404, '0x80040217', `${req.params.row} Does Not Exist`);
    return reply.code(204).send();
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/data/v9.2`,
    endpoints,
    steps,
    fire: async (entity, message, id, attributes) => {
      const statuses: number[] = [];
      for (const step of steps.values()) {
        const endpoint = endpoints.get(step.serviceendpointid);
        if (step.statecode !== 0 || step.entity !== entity || step.message !== message || !endpoint) continue;
        const target = message === 'Delete' ? { __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts', Id: id, LogicalName: entity, Name: null } : { __type: 'Entity:http://schemas.microsoft.com/xrm/2011/Contracts', Attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })), Id: id, LogicalName: entity };
        const context = {
          MessageName: message,
          Mode: 1,
          Stage: 40,
          OperationCreatedOn: `/Date(${Date.now()})/`,
          OperationId: randomUUID(),
          OrganizationId: '4ef5b371-0000-4000-8000-0000000000c0',
          OrganizationName: 'contoso',
          PrimaryEntityId: id,
          PrimaryEntityName: entity,
          OwningExtension: { Id: step.sdkmessageprocessingstepid, LogicalName: 'sdkmessageprocessingstep', Name: step.name, RowVersion: null },
          InputParameters: [{ key: 'Target', value: target }],
          OutputParameters: [],
          PreEntityImages: [],
          PostEntityImages: [],
        };
        const response = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json', ...endpoint.headers }, body: JSON.stringify(context) });
        statuses.push(response.status);
      }
      return statuses;
    },
    close: () => app.close(),
  };
}
