import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@switchyard/bus';
import { createLogger, generateKey, Vault } from '@switchyard/kernel';
import { AccountStore, capturePending, openVerification, type AccountRecord } from '@switchyard/stores';
import { startTestNats } from '../harness/nats.js';

/**
 * Account writers (the edge capturing a token, the registrar storing a secret, the OAuth2 manager
 * marking `needs_reauth`, a customer PATCH) each hold the record they read and change their own field.
 * Two replicas against one real nats-server: whatever each held, both changes must end up stored.
 */
describe('AccountStore.update is compare-and-set on the KV revision', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  const buses: Bus[] = [];
  const stores: AccountStore[] = [];
  const vault = new Vault(generateKey());
  const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

  beforeAll(async () => {
    nats = await startTestNats();
    for (const name of ['replica-a', 'replica-b']) {
      const bus = await connectBus({ servers: nats.url, name, logger, replicas: 1, rawRetentionHours: 1, eventsRetentionHours: 1 });
      buses.push(bus);
      stores.push(await AccountStore.open(bus, vault, logger));
    }
  });
  afterAll(async () => {
    for (const store of stores) store.stop();
    for (const bus of buses) await bus.close();
    await nats?.stop();
  });

  const create = () =>
    stores[0]!.create({ environment_id: 'env_cas', provider: 'bamboohr', credentials: { api_key: 'k1' }, webhook_secrets: [], config: { subdomain: 'acme' } });
  /** The account as KV holds it, read by a third party that never wrote it. */
  const stored = async (id: string): Promise<AccountRecord> => {
    const entry = await buses[1]!.kv.accounts.get(id);
    return entry!.json<AccountRecord>();
  };

  it('two replicas changing different fields of the same stale record at once both keep their change', async () => {
    const original = await create();
    // Replica A: a customer PATCH of config. Replica B: the registrar storing the secret BambooHR returned.
    await Promise.all([
      stores[0]!.update(original, { config: { subdomain: 'acme', monitor: 'all' } }),
      stores[1]!.update(original, { webhook_secrets: ['privateKey-from-registration'] }),
    ]);
    const record = await stored(original.id);
    expect(record.config).toEqual({ subdomain: 'acme', monitor: 'all' });
    expect(stores[1]!.webhookSecrets(record)).toEqual(['privateKey-from-registration']);
    expect(stores[1]!.credentials(record)).toEqual({ api_key: 'k1' });
  });

  it('a burst of writers on one replica, each with the record it read first, loses none of their changes', async () => {
    const original = await create();
    await Promise.all([
      stores[0]!.update(original, { status: 'needs_reauth' }),
      stores[0]!.update(original, { credentials: { api_key: 'k2' } }),
      stores[1]!.update(original, { remote_key: 'portal-7' }),
      stores[1]!.update(original, { verification: { open_until: '2030-01-01T00:00:00.000Z', pending: null } }),
    ]);
    const record = await stored(original.id);
    expect(record).toMatchObject({ status: 'needs_reauth', remote_key: 'portal-7', verification: { open_until: '2030-01-01T00:00:00.000Z', pending: null } });
    expect(stores[0]!.credentials(record)).toEqual({ api_key: 'k2' });
  });

  it('two replicas capturing different verification tokens at once: one is kept, the other is SWY_ERR_CAPTURE_CONFLICT', async () => {
    const original = await openVerification(stores[0]!, await create(), 10);
    const results = await Promise.all([capturePending(stores[0]!, original, 'token-from-replica-a'), capturePending(stores[1]!, original, 'token-from-replica-b')]);
    const kept = results.filter((r) => r.ok);
    expect(kept).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toMatchObject([{ code: 'SWY_ERR_CAPTURE_CONFLICT' }]);
    const record = await stored(original.id);
    expect(stores[1]!.pendingSecret(record)).toBe(results[0]!.ok ? 'token-from-replica-a' : 'token-from-replica-b');
  });

  it('an update of an account deleted meanwhile is SWY_ERR_ACCOUNT_UNKNOWN and does not bring it back', async () => {
    const original = await create();
    await stores[0]!.delete(original);
    await expect(stores[1]!.update(original, { status: 'disabled' })).rejects.toMatchObject({ code: 'SWY_ERR_ACCOUNT_UNKNOWN' });
    expect(await stores[0]!.get(original.id)).toBeUndefined();
  });
});
