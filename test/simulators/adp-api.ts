import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * ADP Workforce Now, as its documented APIs behave (providers.md §21.11):
 * - `POST /auth/oauth/v2/token`: OAuth2 client credentials (client id/secret in Basic auth or the form).
 *   In reality this call and every API call need mutual TLS with the certificate ADP signed for the
 *   app; the simulator does not check a client certificate (the hub cannot present one yet).
 * - `GET /core/v1/event-notification-messages`: the client's own queue. 204 when empty (ADP's answer
 *   since August 2020); else 200 with the message at the head and its id in `adp-msg-msgid`. FIFO: the
 *   same head is answered until it is deleted (§11 and CData's GetEventMessage, S).
 * - `DELETE /core/v1/event-notification-messages/{adp-msg-msgid}`: removes the head; an unknown id is 404.
 * - `GET /hr/v2/workers` with `$top` / `$skip` (and `$filter`, accepted and ignored here) and
 *   `GET /hr/v2/workers/{aoid}`: `{workers: [...]}`. Worker and message body shapes follow secondary
 *   summaries of ADP's guides (S).
 */
export interface AdpApi {
  readonly url: string;
  /** Messages in the queue, head first. */
  readonly queue: Array<{ id: string; body: AdpMessage }>;
  readonly workers: Map<string, AdpWorker>;
  /** Every call as `METHOD path`, in order (token calls included). */
  readonly calls: string[];
  /** Hires a worker: stored, and a `worker.hire` message queued. Returns the associate OID. */
  hire(name: { givenName: string; familyName1: string }): string;
  /** Changes a worker's family name: a `worker.legal-name.change` message. */
  rename(aoid: string, familyName1: string): void;
  /** Terminates a worker: a `worker.terminate` message. */
  terminate(aoid: string): void;
  /** Called on each DELETE of the head before it is removed; answer a status to refuse it instead (e.g. 503). */
  onDelete: ((id: string) => Promise<number | undefined>) | undefined;
  /** How many of the next queue reads to answer 429 with `Retry-After: 1` (ADP throttles per client, S). */
  throttleReads: number;
  /** Tokens issued so far. */
  readonly tokensIssued: number;
  close(): Promise<void>;
}

/** An event-notification message body (one event per message). */
export interface AdpMessage {
  events: Array<{ eventID: string; serviceCategoryCode: { codeValue: string }; eventNameCode: { codeValue: string }; recordDateTime: string; data: { eventContext: { worker: { associateOID: string } } } }>;
}

/** A worker as `hr/v2/workers` shows it (a subset). */
export interface AdpWorker {
  associateOID: string;
  workerID: { idValue: string };
  person: { legalName: { givenName: string; familyName1: string; formattedName: string } };
  businessCommunication: { emails: Array<{ emailUri: string }> };
  workerDates: { originalHireDate: string; terminationDate?: string };
  workerStatus: { statusCode: { codeValue: 'Active' | 'Terminated' } };
  workAssignments: Array<{ primaryIndicator: boolean; jobTitle: string }>;
}

/** Starts the simulator on loopback; the client is `clientId`/`clientSecret`. */
export async function startAdpApi(options: { clientId: string; clientSecret: string }): Promise<AdpApi> {
  const tokens = new Set<string>();
  const queue: Array<{ id: string; body: AdpMessage }> = [];
  const workers = new Map<string, AdpWorker>();
  const calls: string[] = [];
  let issued = 0;
  let next = 1;
  const enqueue = (name: string, aoid: string) => {
    queue.push({
      id: randomUUID(),
      body: { events: [{ eventID: randomUUID(), serviceCategoryCode: { codeValue: 'hr' }, eventNameCode: { codeValue: name }, recordDateTime: new Date().toISOString(), data: { eventContext: { worker: { associateOID: aoid } } } }] },
    });
  };
  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  const handle = async (request: IncomingMessage, response: ServerResponse, body: string) => {
    const url = new URL(request.url ?? '/', 'http://adp');
    calls.push(`${request.method} ${url.pathname}`);
    if (request.method === 'POST' && url.pathname === '/auth/oauth/v2/token') {
      const form = new URLSearchParams(body);
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [form.get('client_id'), form.get('client_secret')];
      if (form.get('grant_type') !== 'client_credentials' || id !== options.clientId || secret !== options.clientSecret) return json(response, 401, { error: 'invalid_client' });
      const token = randomUUID();
      tokens.add(token);
      issued++;
      return json(response, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'api' });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !tokens.has(token)) return json(response, 401, { response: { responseCode: 401, methodCode: 'GET', resourceUri: url.pathname, serverRequestDateTime: new Date().toISOString(), applicationCode: { code: 401, typeCode: 'error', message: 'Invalid Token' } } });
    if (url.pathname === '/core/v1/event-notification-messages' && request.method === 'GET') {
      if (api.throttleReads > 0) {
        api.throttleReads--;
        return json(response, 429, { error: 'too many requests' }, { 'retry-after': '1' });
      }
      const head = queue[0];
      if (!head) return response.writeHead(204).end();
      return json(response, 200, head.body, { 'adp-msg-msgid': head.id });
    }
    const message = /^\/core\/v1\/event-notification-messages\/([^/]+)$/.exec(url.pathname);
    if (message && request.method === 'DELETE') {
      const index = queue.findIndex((m) => m.id === decodeURIComponent(message[1]!));
      if (index < 0) return json(response, 404, { error: 'message not found' });
      const refused = await api.onDelete?.(queue[index]!.id);
      if (refused) return json(response, refused, { error: 'temporarily unavailable' });
      queue.splice(index, 1);
      return response.writeHead(200).end();
    }
    if (url.pathname === '/hr/v2/workers' && request.method === 'GET') {
      const top = Number(url.searchParams.get('$top') ?? 100);
      const skip = Number(url.searchParams.get('$skip') ?? 0);
      const page = [...workers.values()].slice(skip, skip + top);
      return page.length === 0 ? response.writeHead(204).end() : json(response, 200, { workers: page });
    }
    const worker = /^\/hr\/v2\/workers\/([^/]+)$/.exec(url.pathname);
    if (worker && request.method === 'GET') {
      const found = workers.get(decodeURIComponent(worker[1]!));
      return found ? json(response, 200, { workers: [found] }) : json(response, 404, { error: 'worker not found' });
    }
    return json(response, 404, { error: 'no such resource' });
  };

  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => void handle(request, response, body).catch(() => response.writeHead(500).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api: AdpApi = {
    url,
    queue,
    workers,
    calls,
    onDelete: undefined,
    throttleReads: 0,
    get tokensIssued() {
      return issued;
    },
    hire: (name) => {
      const n = next++;
      const aoid = `G3SIM${String(n).padStart(6, '0')}`;
      workers.set(aoid, {
        associateOID: aoid,
        workerID: { idValue: `E${n}` },
        person: { legalName: { ...name, formattedName: `${name.givenName} ${name.familyName1}` } },
        businessCommunication: { emails: [{ emailUri: `${name.givenName}.${name.familyName1}@Example.com` }] },
        workerDates: { originalHireDate: '2026-02-02' },
        workerStatus: { statusCode: { codeValue: 'Active' } },
        workAssignments: [{ primaryIndicator: true, jobTitle: 'Engineer' }],
      });
      enqueue('worker.hire', aoid);
      return aoid;
    },
    rename: (aoid, familyName1) => {
      const w = workers.get(aoid)!;
      w.person.legalName = { ...w.person.legalName, familyName1, formattedName: `${w.person.legalName.givenName} ${familyName1}` };
      enqueue('worker.legal-name.change', aoid);
    },
    terminate: (aoid) => {
      const w = workers.get(aoid)!;
      w.workerStatus = { statusCode: { codeValue: 'Terminated' } };
      w.workerDates.terminationDate = '2026-03-10';
      enqueue('worker.terminate', aoid);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}
