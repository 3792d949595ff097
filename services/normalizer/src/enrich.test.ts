import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError, type EventEnvelope } from '@switchyard/contracts';
import { createLogger, traceContextOf, TRACING_OFF } from '@switchyard/kernel';
import { ProviderCatalog, type LoadedProvider } from '@switchyard/mapping';
import { ProviderThrottled, type UnifiedTarget } from '@switchyard/provider-client';
import { syntheticAccount } from '@switchyard/stores';
import { enricher } from './enrich.js';

/**
 * The enrichment decisions, with the unified engine replaced by a function that answers as the
 * provider would (record, throttle, refusal). The full path through a provider simulator is in
 * test/e2e (thin webhooks).
 */

let catalog: ProviderCatalog;
beforeAll(async () => {
  catalog = await ProviderCatalog.load();
});

const account = syntheticAccount({ provider: 'hubspot', environmentId: 'env_1', id: 'acc_1' });

function thin(id: string, status: 'pending' | 'done' = 'pending'): EventEnvelope {
  return {
    id,
    type: 'crm/contacts:updated',
    timestamp: '2026-12-03T10:00:00.000Z',
    environment_id: 'env_1',
    integrated_account_id: 'acc_1',
    provider: 'hubspot',
    category: 'crm',
    resource: 'contacts',
    action: 'updated',
    record_id: '501',
    origin: 'webhook',
    mapping_version: 'hubspot@1+abc',
    data: { id: 'swy_contact_501', remote_id: '501' },
    enrichment: { status, resource: 'crm/contacts', remote_id: '501' },
  };
}

type Get = (target: UnifiedTarget, resource: string, id: string) => Promise<Record<string, unknown>>;

function setup(get: Get, maxTries = 3) {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const calls: { resource: string; id: string; credentials: unknown }[] = [];
  const traces: unknown[] = [];
  const enrich = enricher(
    {
      unified: {
        get: async (target, resource, id) => {
          calls.push({ resource, id, credentials: target.credentials });
          traces.push(target.trace);
          return { value: await get(target, resource, id) } as never;
        },
      },
      accounts: { credentials: () => ({ access_token: 'tok_secret' }) } as never,
      logger: createLogger({ level: 'info', destination }),
      tracer: TRACING_OFF,
    },
    { maxTries },
  );
  return { enrich, calls, lines, traces };
}

const hubspot = (): LoadedProvider => catalog.get('hubspot')!;

describe('enricher', () => {
  it('fills a pending event with the fetched record and keeps the event’s own ids', async () => {
    const { enrich, calls } = setup(async () => ({ id: 'remote-id-from-api', remote_id: 'x', first_name: 'Ada', email: 'ada@example.com' }));
    const outcome = await enrich(hubspot(), account, [thin('evt_1')], 1);
    expect(outcome.kind).toBe('ready');
    const [event] = outcome.kind === 'ready' ? outcome.envelopes : [];
    expect(event?.data).toEqual({ id: 'swy_contact_501', remote_id: '501', first_name: 'Ada', email: 'ada@example.com' });
    expect(event?.enrichment?.status).toBe('done');
    expect(calls).toEqual([{ resource: 'crm/contacts', id: '501', credentials: { access_token: 'tok_secret' } }]);
  });

  it('with tracing off, hands the delivery’s traceparent to the provider call unchanged', async () => {
    const { enrich, traces } = setup(async () => ({ first_name: 'Ada' }));
    const trace = traceContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'congo=t61rcWkgMzE');
    await enrich(hubspot(), account, [thin('evt_10')], 1, trace);
    await enrich(hubspot(), account, [thin('evt_11')], 1);
    expect(traces).toEqual([trace, undefined]);
  });

  it('passes events that are not pending through untouched and without a provider call', async () => {
    const { enrich, calls } = setup(async () => ({}));
    const done = thin('evt_2', 'done');
    const plain = { ...thin('evt_3'), enrichment: undefined };
    const outcome = await enrich(hubspot(), account, [done, plain], 1);
    expect(outcome).toEqual({ kind: 'ready', envelopes: [done, plain] });
    expect(calls).toEqual([]);
  });

  it('marks the event failed, without calling out, when the provider declares no read for the resource', async () => {
    const { enrich, calls } = setup(async () => ({}));
    const event = { ...thin('evt_4'), enrichment: { status: 'pending' as const, resource: 'hris/employees', remote_id: '501' } };
    const outcome = await enrich(hubspot(), account, [event], 1);
    expect(outcome.kind === 'ready' && outcome.envelopes[0]?.enrichment?.status).toBe('failed');
    expect(calls).toEqual([]);
  });

  it('asks for the delivery to come back after the provider’s Retry-After while tries remain', async () => {
    const { enrich } = setup(async () => {
      throw new ProviderThrottled('hubspot', { throttled: true, policies: [], current: [], violated: [], retryAfterS: 7 });
    });
    expect(await enrich(hubspot(), account, [thin('evt_5')], 2)).toEqual({ kind: 'later', delayMs: 7_000 });
  });

  it('waits at least a second, and five without a Retry-After', async () => {
    const throttle = (retryAfterS?: number) =>
      setup(async () => {
        throw new ProviderThrottled('hubspot', { throttled: true, policies: [], current: [], violated: [], retryAfterS });
      }).enrich;
    expect(await throttle(0)(hubspot(), account, [thin('evt_6')], 1)).toEqual({ kind: 'later', delayMs: 1_000 });
    expect(await throttle(undefined)(hubspot(), account, [thin('evt_6')], 1)).toEqual({ kind: 'later', delayMs: 5_000 });
  });

  it('sends the event thin once the tries are spent, rather than holding it for good', async () => {
    const { enrich } = setup(async () => {
      throw new ProviderThrottled('hubspot', { throttled: true, policies: [], current: [], violated: [], retryAfterS: 7 });
    }, 3);
    const outcome = await enrich(hubspot(), account, [thin('evt_7')], 3);
    expect(outcome.kind === 'ready' && outcome.envelopes[0]?.enrichment?.status).toBe('failed');
  });

  it('sends the event thin on any other failure and logs the code but not the credentials', async () => {
    const { enrich, lines } = setup(async () => {
      throw new SwitchyardError('SWY_ERR_PROVIDER_UNAUTHORIZED', 'credentials refused');
    });
    const outcome = await enrich(hubspot(), account, [thin('evt_8'), thin('evt_9', 'done')], 1);
    expect(outcome.kind === 'ready' && outcome.envelopes.map((e) => e.enrichment?.status)).toEqual(['failed', 'done']);
    const log = lines.join('');
    expect(log).toContain('SWY_ERR_PROVIDER_UNAUTHORIZED');
    expect(log).toContain('evt_8');
    expect(log).not.toContain('tok_secret');
  });
});
