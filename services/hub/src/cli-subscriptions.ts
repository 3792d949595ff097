import { ok } from '@switchyard/client';
import { SwitchyardError } from '@switchyard/contracts';
import type { RemoteCliOptions } from './cli-client.js';

export const SUBSCRIPTIONS_USAGE = `  switchyard subscriptions list [--url <hub url>]
  switchyard subscriptions create <endpoint url> --events <pattern,pattern> [--filter <jsonata>] [--description <text>]
  switchyard subscriptions test <subscription id>
      list the environment's subscriptions; subscribe an endpoint (the signing secret is printed once);
      send it a signed test event and wait for its attempt`;

/** `switchyard subscriptions list`: one line per subscription (the API answers them all at once). */
export async function subscriptionsList(options: RemoteCliOptions): Promise<number> {
  const { data } = ok(await options.client.GET('/v1/subscriptions'));
  for (const s of data) options.out(`${[s.id, s.status.padEnd(8), s.event_types.join(','), s.url].join('  ')}\n`);
  return 0;
}

/** `switchyard subscriptions create`: prints the subscription as the API answered it, secret included (shown once). */
export async function subscriptionsCreate(url: string, options: RemoteCliOptions & { events: string[]; filter?: string; description?: string }): Promise<number> {
  if (options.events.length === 0) throw new SwitchyardError('SWY_ERR_VALIDATION', '--events: name at least one event type pattern, e.g. hris/employees:*');
  const created = ok(
    await options.client.POST('/v1/subscriptions', {
      body: { url, event_types: options.events, ...(options.filter ? { filter: options.filter } : {}), ...(options.description ? { description: options.description } : {}) },
    }),
  );
  options.out(`${JSON.stringify(created, null, 2)}\n`);
  return 0;
}

/**
 * `switchyard subscriptions test`: asks the hub to send a signed test event, then follows the
 * subscription's attempts until that event's first attempt is recorded, and says how it went.
 */
export async function subscriptionsTest(id: string, options: RemoteCliOptions): Promise<number> {
  const sent = ok(await options.client.POST('/v1/subscriptions/{id}/test', { params: { path: { id } } }));
  options.out(`sent ${sent.event_id}, waiting for its attempt…\n`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline && !options.signal?.aborted) {
    const attempts = ok(await options.client.GET('/v1/events/{id}/attempts', { params: { path: { id: sent.event_id } } }));
    const first = attempts.data?.[0];
    if (first) {
      options.out(`${first.outcome}  HTTP ${first.status || '-'}  ${Math.round(first.latency_ms)} ms${first.error_class ? `  ${first.error_class}` : ''}\n`);
      return first.outcome === 'delivered' ? 0 : 1;
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 500));
  }
  options.out('no attempt recorded yet: the endpoint may be paused or its lane busy; see `GET /v1/subscriptions/{id}/attempts`\n');
  return 1;
}
