import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createVia } from '../harness/api.js';
import { startSplitServices, type ChildHub } from '../harness/child-hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/**
 * The production shape: edge, normalizer, delivery and request each in its own process, sharing
 * nothing but NATS (as in docker-compose.yml).
 */
describe('services running alone against one NATS', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let receiver: Receiver;
  const services: Partial<Record<'edge' | 'normalizer' | 'delivery' | 'request', ChildHub>> = {};
  const adminToken = randomBytes(24).toString('hex');
  const metricsToken = randomBytes(24).toString('hex');

  beforeAll(async () => {
    nats = await startTestNats();
    receiver = await startReceiver();
    const env = { SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8', SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8', SWITCHYARD_METRICS_TOKEN: metricsToken };
    Object.assign(services, await startSplitServices(nats.url, { adminToken, env: () => env }));
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s?.stop('SIGTERM')));
    await receiver?.close();
    await nats?.stop();
  });

  it('carries a webhook from the edge process to a signed delivery from the delivery process', async () => {
    const post = (path: string, token: string, body: unknown) => createVia(services.request!.url, path, token, body);
    const environment = await post('/v1/environments', adminToken, { name: 'split' });
    const account = await post('/v1/integrated-accounts', environment.api_key!, { provider: 'bamboohr', credentials: {}, webhook_secret: 'split-key' });
    const subscription = await post('/v1/subscriptions', environment.api_key!, { url: receiver.url, event_types: ['hris/employees:*'] });
    expect(account.webhook_url).toBe(`${services.edge!.url}/webhooks/bamboohr/${account.id}`);

    // The edge learns of the account created by the request process through the KV watch / lookup.
    const response = await sendBamboo(account.webhook_url!, signBamboo('split-key', bambooEvent('employee.created', 'split-1')));
    expect(response.status).toBe(200);

    const [delivery] = await eventually('the delivery', () => receiver.delivered().length === 1 && receiver.delivered());
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(delivery!.headers[h])]));
    expect(new Webhook(subscription.secret!).verify(delivery!.body, headers)).toMatchObject({ type: 'hris/employees:created', record_id: 'split-1' });

    for (const service of Object.values(services)) {
      expect((await fetch(`${service!.url}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${service!.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }).then((r) => r.text());
      expect(metrics).toContain('switchyard_');
    }
  });
});
