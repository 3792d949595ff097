import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** DESIGN §6: the edge answers 2xx only after JetStream stored the webhook; with NATS down it says 503 so the provider retries. */
describe('NATS outage at the edge', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let restarted: NatsServerHandle | undefined;
  let hub: TestHub;
  let receiver: Receiver;
  let tenant: Tenant;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_PUBLISH_TIMEOUT_MS: '1000' });
    receiver = await startReceiver();
    tenant = await createTenant(hub, receiver);
  });
  afterAll(async () => {
    await receiver?.close();
    await hub?.close().catch(() => undefined);
    await restarted?.stop();
    await nats?.stop();
  });

  it('answers 503 with Retry-After while NATS is unreachable, then accepts and delivers once it is back', async () => {
    await nats.kill();
    const during = await fetch(tenant.webhookUrl, { method: 'POST', ...signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'during-outage')) });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await during.json()) as { code: string }).code).toBe('SWY_ERR_BUS_UNAVAILABLE');
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(503);

    // Same port, same store: the hub reconnects by itself.
    restarted = await startNatsServer({ storeDir: nats.storeDir, port: nats.port });
    const after = await eventually('the edge to accept again', async () => {
      const result = await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'after-outage')));
      return result.status === 200 && result;
    });
    expect(after.body).toMatchObject({ status: 'accepted' });
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
    await eventually('the delivery after the outage', () => receiver.delivered().some((d) => JSON.parse(d.body).record_id === 'after-outage'));
    expect(receiver.delivered().map((d) => JSON.parse(d.body).record_id)).not.toContain('during-outage');
  });
});
