import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { rememberSecret } from '../harness/log-audit.js';
import { bambooEvent, signBamboo } from './bamboohr.js';
import { isLoopbackHttp } from './registration-urls.js';

/** A permissioned webhook as the simulator stores it. */
export interface BambooWebhook {
  id: string;
  name: string;
  url: string;
  format: 'json' | 'form-encoded';
  events: string[];
  monitorFields: string[];
  /** The HMAC key; BambooHR returns it in the creation answer only. */
  privateKey: string;
  created: string;
}

/** The webhook half of the BambooHR simulator: registered webhooks and a sender that signs as BambooHR does. */
export interface BambooWebhooks {
  readonly hooks: Map<string, BambooWebhook>;
  /** Answers queued here are sent, in order, to the next creates instead of creating anything (5xx, garbage). */
  readonly createAnswers: Array<{ status: number; body: string; contentType?: string }>;
  /** The same for reads of one webhook (`GET /v1/webhooks/{id}`). */
  readonly readAnswers: Array<{ status: number; body: string; contentType?: string }>;
  /** POSTs a signed event-based delivery to every webhook subscribed to `type`; resolves with each status. */
  send(type: 'employee.created' | 'employee.updated' | 'employee.deleted', employeeId: string): Promise<number[]>;
}

const EVENT_TYPES = new Set(['employee.created', 'employee.updated', 'employee.deleted']);
const MONITORABLE = new Set(['firstName', 'lastName', 'preferredName', 'jobTitle', 'workEmail', 'department', 'location', 'division', 'supervisor', 'status', 'hireDate', 'terminationDate']);

/**
 * Permissioned webhooks under `{base}/v1/webhooks` as documentation.bamboohr.com/docs/permissioned-webhooks
 * describes them: `url` must be HTTPS (this simulator also takes loopback http so tests can receive),
 * `employee.updated` needs `monitorFields` from `/v1/webhooks/monitor_fields`, and the creation answer
 * carries `privateKey` exactly once — `GET` never shows it. The body field names follow a secondary
 * OpenAPI digest (providers.md §21.6, marked S): BambooHR labels the API beta.
 */
export function registerBambooWebhooks(app: FastifyInstance, bases: string[], options: { allowLoopbackHttp: boolean }): BambooWebhooks {
  const hooks = new Map<string, BambooWebhook>();
  const createAnswers: BambooWebhooks['createAnswers'] = [];
  const readAnswers: BambooWebhooks['readAnswers'] = [];
  let next = 1;
  const shown = ({ privateKey: _secret, ...rest }: BambooWebhook) => rest;
  for (const base of bases) {
    app.get(`${base}/v1/webhooks/monitor_fields`, async () => ({ fields: [...MONITORABLE].map((name, i) => ({ id: i + 1, name, alias: name })) }));
    app.post<{ Body: Partial<BambooWebhook> }>(`${base}/v1/webhooks`, async (req, reply) => {
      const scripted = createAnswers.shift();
      if (scripted) return reply.code(scripted.status).header('content-type', scripted.contentType ?? 'application/json').send(scripted.body);
      const body = req.body ?? {};
      const url = typeof body.url === 'string' ? body.url : '';
      if (!/^https:\/\//.test(url) && !(options.allowLoopbackHttp && isLoopbackHttp(url))) return reply.code(400).send({ error: { message: 'url must be an HTTPS URL' } });
      const events = Array.isArray(body.events) ? body.events : [];
      if (events.length === 0 || events.some((e) => !EVENT_TYPES.has(e))) return reply.code(400).send({ error: { message: 'events must name employee.created, employee.updated or employee.deleted' } });
      const monitorFields = Array.isArray(body.monitorFields) ? body.monitorFields : [];
      if (events.includes('employee.updated') && (monitorFields.length === 0 || monitorFields.some((f) => !MONITORABLE.has(f)))) {
        return reply.code(400).send({ error: { message: 'employee.updated needs monitorFields from /v1/webhooks/monitor_fields' } });
      }
      const hook: BambooWebhook = {
        id: String(next++),
        name: typeof body.name === 'string' ? body.name : 'webhook',
        url,
        format: body.format === 'form-encoded' ? 'form-encoded' : 'json',
        events,
        monitorFields,
        privateKey: randomBytes(32).toString('hex'),
        created: new Date().toISOString(),
      };
      rememberSecret('BambooHR registered webhook privateKey', hook.privateKey);
      hooks.set(hook.id, hook);
      return reply.code(201).send({ ...shown(hook), privateKey: hook.privateKey });
    });
    app.get(`${base}/v1/webhooks`, async () => ({ webhooks: [...hooks.values()].map(shown) }));
    app.get<{ Params: { id: string } }>(`${base}/v1/webhooks/:id`, async (req, reply) => {
      const scripted = readAnswers.shift();
      if (scripted) return reply.code(scripted.status).header('content-type', scripted.contentType ?? 'application/json').send(scripted.body);
      const hook = hooks.get(req.params.id);
      return hook ? shown(hook) : reply.code(404).send({ error: { message: 'Webhook not found' } });
    });
    app.delete<{ Params: { id: string } }>(`${base}/v1/webhooks/:id`, async (req, reply) => {
      if (!hooks.delete(req.params.id)) return reply.code(404).send({ error: { message: 'Webhook not found' } });
      return reply.code(200).send();
    });
  }
  return {
    hooks,
    createAnswers,
    readAnswers,
    send: async (type, employeeId) => {
      const statuses: number[] = [];
      for (const hook of hooks.values()) {
        if (!hook.events.includes(type)) continue;
        const signed = signBamboo(hook.privateKey, bambooEvent(type, employeeId));
        const response = await fetch(hook.url, { method: 'POST', headers: signed.headers, body: signed.body });
        statuses.push(response.status);
      }
      return statuses;
    },
  };
}
