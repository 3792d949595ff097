import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { startTestHub, type TestHub } from './hub.js';
import { startTestNats } from './nats.js';
import { startReceiver, type Receiver } from './receiver.js';

/** A hub on a real nats-server with one environment and one receiver subscribed, for registration tests. */
export interface RegistrationRig {
  readonly hub: TestHub;
  readonly receiver: Receiver;
  readonly env: { id: string; apiKey: string };
  /** `POST /v1/integrated-accounts` with `register_webhooks: true`; expects 201 and returns the answer. */
  connect(body: Record<string, unknown>): Promise<any>;
  /** `GET …/webhook-registration` of an account. */
  registration(accountId: string): Promise<any>;
  /** `PUT …/webhook-registration` of an account. */
  ensure(accountId: string, body?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** Deliveries the receiver accepted for one record id. */
  delivered(recordId: string): Array<{ body: string }>;
  close(): Promise<void>;
}

/**
 * Starts nats-server, a hub with `env` (fast reconciler settings are the caller's), an environment, a
 * receiver and a subscription of it to `eventTypes`.
 */
export async function startRegistrationRig(eventTypes: string[], env: Record<string, string> = {}): Promise<RegistrationRig> {
  const nats = await startTestNats();
  const receiver = await startReceiver();
  const hub = await startTestHub(nats.url, { SWITCHYARD_REGISTRATION_TICK_MS: '100', ...env });
  const environment = await hub.createEnvironment();
  const subscription = await hub.call('POST', '/v1/subscriptions', { token: environment.apiKey, body: { url: receiver.url, event_types: eventTypes } });
  expect(subscription.status, JSON.stringify(subscription.body)).toBe(201);
  const path = (id: string) => `/v1/integrated-accounts/${id}/webhook-registration`;
  return {
    hub,
    receiver,
    env: environment,
    connect: async (body) => {
      const response = await hub.call('POST', '/v1/integrated-accounts', { token: environment.apiKey, body: { register_webhooks: true, ...body } });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body;
    },
    registration: async (id) => (await hub.call('GET', path(id), { token: environment.apiKey })).body,
    ensure: (id, body = {}) => hub.call('PUT', path(id), { token: environment.apiKey, body }),
    delivered: (recordId) => receiver.delivered().filter((d) => JSON.parse(d.body).record_id === recordId),
    close: async () => {
      await hub.close();
      await receiver.close();
      await nats.stop();
    },
  };
}

/**
 * Hubs that can be stopped and started again as "the same hub": one admin token and encryption key for
 * the set, and a fixed port per start, so a restarted hub keeps the webhook URLs the provider was given
 * and opens what its predecessor sealed. For renewal tests across restarts and with two hubs.
 */
export interface RestartableHubs {
  /** A hub on `port` (its public URL too) with the set's key and token, `env` on top. */
  start(port: number, env?: Record<string, string>): Promise<TestHub>;
  close(hub: TestHub): Promise<void>;
  closeAll(): Promise<void>;
}

/** Reconciler timings for tests: a 100 ms tick, retries after 200–400 ms. */
const FAST_RECONCILER = { SWITCHYARD_REGISTRATION_TICK_MS: '100', SWITCHYARD_REGISTRATION_BACKOFF_MS: '200', SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: '400' } as const;

/** {@link RestartableHubs} on `natsUrl`, every hub started with fast reconciler timings and `baseEnv`. */
export function restartableHubs(natsUrl: string, baseEnv: Record<string, string>): RestartableHubs {
  const admin = `admin-${randomBytes(16).toString('hex')}`;
  const key = randomBytes(32).toString('hex');
  const hubs: TestHub[] = [];
  return {
    start: async (port, env = {}) => {
      const hub = await startTestHub(natsUrl, {
        PORT: String(port),
        SWITCHYARD_PUBLIC_URL: `http://127.0.0.1:${port}`,
        SWITCHYARD_ADMIN_TOKEN: admin,
        SWITCHYARD_ENCRYPTION_KEY: key,
        ...FAST_RECONCILER,
        ...baseEnv,
        ...env,
      });
      hubs.push(hub);
      return hub;
    },
    close: async (hub) => {
      hubs.splice(hubs.indexOf(hub), 1);
      await hub.close();
    },
    closeAll: async () => {
      for (const hub of hubs.splice(0)) await hub.close();
    },
  };
}
