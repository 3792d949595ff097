import type { Receiver } from './receiver.js';
import type { TestHub } from './hub.js';
import { rememberSecret } from './log-audit.js';

/** One customer set up through the public API, as the README's curl story does it. */
export interface Tenant {
  environmentId: string;
  apiKey: string;
  accountId: string;
  webhookUrl: string;
  /** The BambooHR privateKey stored as the account's webhook secret. */
  privateKey: string;
  subscriptionId: string;
  /** The `whsec_…` secret returned once when subscribing. */
  signingSecret: string;
}

/** Creates an environment, a BambooHR account and a subscription to `hris/employees:*` at `receiver`. */
export async function createTenant(hub: TestHub, receiver: Receiver, privateKey = `pk_${Math.random().toString(36).slice(2)}`): Promise<Tenant> {
  const environment = await hub.createEnvironment();
  const apiKey = `bamboo-api-key-${Math.random().toString(36).slice(2)}`;
  rememberSecret('BambooHR webhook privateKey', privateKey);
  rememberSecret('BambooHR API key (account credentials)', apiKey);
  const account = await hub.call('POST', '/v1/integrated-accounts', {
    token: environment.apiKey,
    body: { provider: 'bamboohr', credentials: { api_key: apiKey, subdomain: 'acme' }, webhook_secret: privateKey },
  });
  if (account.status !== 201) throw new Error(`account not created: ${JSON.stringify(account.body)}`);
  const subscription = await hub.call('POST', '/v1/subscriptions', {
    token: environment.apiKey,
    body: { url: receiver.url, event_types: ['hris/employees:*'] },
  });
  if (subscription.status !== 201) throw new Error(`subscription not created: ${JSON.stringify(subscription.body)}`);
  rememberSecret('subscription signing secret', subscription.body.secret);
  return {
    environmentId: environment.id,
    apiKey: environment.apiKey,
    accountId: account.body.id,
    webhookUrl: account.body.webhook_url,
    privateKey,
    subscriptionId: subscription.body.id,
    signingSecret: subscription.body.secret,
  };
}
