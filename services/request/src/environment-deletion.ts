import { attemptsFilterSubject, deadFilterSubject, deliverySubjects, environmentEventsSubject, legacyRawFilterSubject, rawFilterSubject } from '@switchyard/contracts';
import { deleteMatching, keyToken, STREAMS, type Bus } from '@switchyard/bus';
import type { AccountRecord } from '@switchyard/stores';
import type { RequestParts } from './parts.js';

/** What a deletion removed, for the API answer and the operator's log (counts only). */
export interface DeletionReport {
  integrated_accounts: number;
  subscriptions: number;
  provider_apps: number;
  mapping_overrides: number;
  purged_messages: number;
}

/**
 * Deletes an environment with its data: every integrated account (sealed credentials, webhook secrets,
 * OAuth tokens, remote-key claims), subscription (sealed keys and headers), provider app, mapping
 * override (with its history) and API key, and its messages in every stream. KV records are purged,
 * not just deleted, so no history keeps a sealed secret or a tenant expression.
 *
 * Streams are emptied by subject (message by message, see `deleteMatching`): EVENTS by environment, RAW and normalizer DEAD by account,
 * DELIVERIES, ATTEMPTS and delivery DEAD by subscription, edge DEAD by provider app. Order matters:
 * accounts go first so their webhook URLs answer 404 before anything else is removed; before each one,
 * `unregister` removes the hub's webhook at its provider, so the provider stops sending to it.
 */
export async function deleteEnvironment(ctx: RequestParts, environmentId: string, unregister?: (account: AccountRecord) => Promise<unknown>): Promise<DeletionReport> {
  const { bus } = ctx;
  const report: DeletionReport = { integrated_accounts: 0, subscriptions: 0, provider_apps: 0, mapping_overrides: 0, purged_messages: 0 };
  // Message by message, never a filtered purge: on nats-server 2.9 that skips other tenants' messages too.
  const purgeStream = async (stream: string, filter: string) => {
    report.purged_messages += await deleteMatching(bus.jsm, stream, filter);
  };

  for (const account of ctx.accounts.list(environmentId)) {
    await unregister?.(account);
    const removed = await deleteAccountData(ctx, account);
    report.mapping_overrides += removed.mappingOverrides;
    report.purged_messages += removed.purgedMessages;
    report.integrated_accounts++;
  }
  for (const subscription of ctx.subscriptions.list(environmentId)) {
    await ctx.subscriptions.delete(subscription.id);
    await bus.kv.subscriptions.purge(subscription.id);
    for (const subject of deliverySubjects(subscription.id)) await purgeStream(STREAMS.DELIVERIES, subject);
    await purgeStream(STREAMS.ATTEMPTS, attemptsFilterSubject({ subscription: subscription.id }));
    await purgeStream(STREAMS.DEAD, deadFilterSubject('delivery', { subscription: subscription.id }));
    report.subscriptions++;
  }
  for (const app of ctx.providerApps.list(environmentId)) {
    await ctx.providerApps.delete(app.id);
    await bus.kv.provider_apps.purge(app.id);
    await purgeStream(STREAMS.DEAD, deadFilterSubject('edge', { app: app.id }));
    report.provider_apps++;
  }
  report.mapping_overrides += await purgeKeys(bus.kv.mappings, `env.${environmentId}.>`);
  await purgeStream(STREAMS.EVENTS, environmentEventsSubject(environmentId));
  await purgeJobs(bus, environmentId);
  await ctx.environments.remove(environmentId);
  return report;
}

/**
 * Deletes one integrated account and everything kept for it: the record (sealed credentials and webhook
 * secrets), its registration state, OAuth2 tokens, account-level mapping overrides (with history), and
 * its raw deliveries and normalizer dead letters in both RAW layouts. Used by `DELETE
 * /v1/integrated-accounts/{id}` and by environment deletion, so a deleted account leaves no secret behind.
 */
export async function deleteAccountData(ctx: RequestParts, account: AccountRecord): Promise<{ mappingOverrides: number; purgedMessages: number }> {
  const { bus } = ctx;
  await ctx.accounts.delete(account);
  await bus.kv.registrations.purge(keyToken(account.id));
  await bus.kv.accounts.purge(account.id);
  await purgeKeys(bus.kv.tokens, `oauth2.${keyToken(account.id)}.>`);
  const mappingOverrides = await purgeKeys(bus.kv.mappings, `account.${account.id}.>`);
  // Message by message, never a filtered purge: on nats-server 2.9 that skips other tenants' messages too.
  let purgedMessages = 0;
  for (const filter of [rawFilterSubject({ account: account.id }), legacyRawFilterSubject({ account: account.id })]) purgedMessages += await deleteMatching(bus.jsm, STREAMS.RAW, filter);
  purgedMessages += await deleteMatching(bus.jsm, STREAMS.DEAD, deadFilterSubject('normalizer', { account: account.id }));
  return { mappingOverrides, purgedMessages };
}

/** Purges every key matching `filter` (history included); returns how many. */
async function purgeKeys(kv: Bus['kv'][keyof Bus['kv']], filter: string): Promise<number> {
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) keys.push(key);
  for (const key of keys) await kv.purge(key);
  return keys.length;
}

/** Purges the environment's replay jobs and slots from the jobs bucket (24 h TTL, so a bounded scan). */
async function purgeJobs(bus: Bus, environmentId: string): Promise<void> {
  const keys: string[] = [];
  for await (const key of await bus.kv.jobs.keys()) keys.push(key);
  for (const key of keys) {
    const entry = await bus.kv.jobs.get(key);
    if (entry?.operation !== 'PUT') continue;
    const record = entry.json<{ environment_id?: unknown }>();
    if (key.startsWith(`replay-slot.${environmentId}.`) || record.environment_id === environmentId) await bus.kv.jobs.purge(key);
  }
}
