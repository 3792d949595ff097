import type { LoadedProvider } from './catalog.js';
import type { PollSource, ProviderDefinition } from '@switchyard/contracts';

/** One JSONata expression of a provider definition and where it sits (`bamboohr/webhook.jsonata`, `…#api.resources.…map`). */
export interface ProviderExpression {
  where: string;
  source: string;
}

/**
 * Every JSONata expression a loaded provider runs: the webhook mapping, the webhook definition's
 * own expressions (event key, handshakes, reply, app routing) and each unified API operation's
 * query, body, records, map, remote id and pagination expressions. The same set the catalog
 * compiles at load; `mappings lint` reports how each one runs.
 */
export function providerExpressions(provider: LoadedProvider): ProviderExpression[] {
  const { definition } = provider;
  const at = (where: string) => `${definition.slug}/provider.json#${where}`;
  const out: ProviderExpression[] = [];
  if (provider.webhookMapping) out.push({ where: provider.webhookMapping.name, source: provider.webhookMapping.source });
  const webhook = definition.webhook;
  if (webhook) {
    out.push({ where: at('webhook.event_key'), source: webhook.event_key });
    for (const h of webhook.handshakes) {
      out.push({ where: at(`handshakes.${h.name}.match`), source: h.match });
      if (h.capture_secret) out.push({ where: at(`handshakes.${h.name}.capture_secret`), source: h.capture_secret });
      if (h.reply.body) out.push({ where: at(`handshakes.${h.name}.reply.body`), source: h.reply.body });
    }
    if (webhook.reply?.body) out.push({ where: at('webhook.reply.body'), source: webhook.reply.body });
    if (webhook.app_routing) {
      for (const key of ['items', 'remote_key', 'rebuild'] as const) out.push({ where: at(`app_routing.${key}`), source: webhook.app_routing[key] });
    }
  }
  for (const [where, source] of apiExpressions(definition.api)) out.push({ where: at(`api.${where}`), source });
  if (provider.pollMapping && provider.pollMapping !== provider.webhookMapping) out.push({ where: provider.pollMapping.name, source: provider.pollMapping.source });
  for (const [resource, polled] of Object.entries(definition.polling?.resources ?? {})) {
    for (const [field, source] of pollSourceExpressions(polled.source)) out.push({ where: at(`polling.resources.${resource}.source.${field}`), source });
  }
  return out;
}

/**
 * The JSONata expressions of a definition's `api` section, by place (`resources.crm/contacts.list.map`,
 * `error_message`): the one list the catalog compiles at load and the lint reports.
 */
export function apiExpressions(api: ProviderDefinition['api']): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [resource, operations] of Object.entries(api?.resources ?? {})) {
    for (const [kind, op] of Object.entries(operations)) {
      if (typeof op !== 'object' || op === null || !('path' in op)) continue;
      const pagination = op.pagination as Record<string, unknown>;
      const fields = { path_params: op.path_params, query: op.query, body: op.body, records: op.records, map: op.map, remote_id: op.remote_id, next: pagination.next, has_more: pagination.has_more };
      const job = op.async;
      const jobFields = job ? { 'async.job': job.job, ...Object.fromEntries(job.steps.flatMap((step, i) => [[`async.steps.${i}.until`, step.until], [`async.steps.${i}.next`, step.next]])) } : {};
      for (const [field, source] of Object.entries({ ...fields, ...jobFields })) {
        if (typeof source === 'string' && source !== '') out.push([`resources.${resource}.${kind}.${field}`, source]);
      }
    }
  }
  if (api?.error_message) out.push(['error_message', api.error_message]);
  return out;
}

/** The JSONata expressions of one poll source, by field. */
export function pollSourceExpressions(source: PollSource): Array<[string, string]> {
  const calls = source.type === 'queue' ? { next: source.next, ack: source.ack } : { list: source.list };
  const fields: Array<[string, string | undefined]> =
    source.type === 'queue'
      ? [['empty', source.empty], ['message_id', source.message_id], ['event_key', source.event_key]]
      : [
          ['records', source.records],
          ['remote_id', source.remote_id],
          ['version', source.version],
          // SOAP sources: checked at start and by `mappings lint` like the rest, not first on a poll.
          ['pages', source.pages],
          ['fingerprint', source.fingerprint],
          ['fault.code', source.fault?.code],
          ['fault.message', source.fault?.message],
          ['fault.unauthorized', source.fault?.unauthorized],
        ];
  for (const [name, call] of Object.entries(calls)) fields.push([`${name}.query`, call.query], [`${name}.body`, call.body]);
  return fields.filter((f): f is [string, string] => f[1] !== undefined);
}
