import { RAW_HEADERS, runConsumer, STREAMS } from '@switchyard/bus';
import { rawProviderSubject } from '@switchyard/contracts';
import { closeAll, type Closeable, type Logger } from '@switchyard/kernel';
import { parseBody, type LoadedProvider, type MappingEngine, type ProviderCatalog } from '@switchyard/mapping';
import type { Bus } from '@switchyard/bus';
import type { Registrar } from './registrar.js';

const EVENTS = new Set(['reauthorize', 'removed', 'missed']);

/**
 * Reads the lifecycle notices providers send about the hub's own registrations (Graph's
 * `reauthorizationRequired`) out of the verified deliveries in RAW — one durable consumer per provider
 * whose definition declares `registration.lifecycle`, shared by every replica — and hands each to the
 * registrar. The normalizer reads the same deliveries independently (its mapping makes no event of them).
 * A notice that cannot be read is logged and acknowledged: it must not block the ones after it.
 */
export async function startLifecycleReaders(parts: { bus: Bus; logger: Logger; engine: MappingEngine; catalog: ProviderCatalog; registrar: Registrar }): Promise<Closeable> {
  const readers: Closeable[] = [];
  for (const provider of parts.catalog.list()) {
    const registration = provider.definition.registration;
    if (registration?.mode !== 'api' || !registration.lifecycle || !provider.definition.webhook) continue;
    const items = registration.lifecycle.items;
    const slug = provider.definition.slug;
    readers.push(
      await runConsumer(parts.bus, {
        stream: STREAMS.RAW,
        durable: `registration-lifecycle-${slug}`,
        filterSubject: rawProviderSubject(slug),
        concurrency: 4,
        logger: parts.logger,
        retryDelayMs: 5_000,
        handle: async (message) => {
          const accountId = message.headers?.get(RAW_HEADERS.account) ?? '';
          try {
            for (const notice of await readNotices(parts.engine, provider, items, message.headers?.get(RAW_HEADERS.contentType), message.data)) {
              await parts.registrar.lifecycle(accountId, notice.id, notice.event);
            }
          } catch (error) {
            parts.logger.warn({ err: error, provider: slug, account: accountId, rawSeq: message.seq }, 'registration lifecycle notice not handled');
          }
          message.ack();
        },
      }),
    );
  }
  return { close: () => closeAll(readers) };
}

/** The `[{id, event}]` a delivery carries, per the definition's `lifecycle.items` (usually none). */
async function readNotices(engine: MappingEngine, provider: LoadedProvider, items: string, contentType: string | null | undefined, data: Uint8Array): Promise<Array<{ id: string; event: 'reauthorize' | 'removed' | 'missed' }>> {
  const webhook = provider.definition.webhook!;
  const payload = parseBody(webhook.content_types[contentType ?? 'application/json'] ?? 'json', data);
  const found = await engine.evaluate(`${provider.definition.slug}/provider.json#registration.lifecycle.items`, items, { payload });
  const list = found === undefined || found === null ? [] : Array.isArray(found) ? found : [found];
  return list.filter((n): n is { id: string; event: 'reauthorize' | 'removed' | 'missed' } => typeof n?.id === 'string' && EVENTS.has(n?.event));
}
