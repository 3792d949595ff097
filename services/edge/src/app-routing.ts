import type { AppRouting } from '@switchyard/contracts';
import type { MappingEngine } from '@switchyard/mapping';

/** One account's share of an app-level delivery. */
export interface RoutedGroup {
  remoteKey: string;
  items: unknown[];
}

/**
 * Splits an app-level delivery by account: evaluates `items`, then `remote_key` on each item, and groups
 * the items by key in first-seen order. Items without a key form no group (they cannot be routed).
 */
export async function groupByRemoteKey(engine: MappingEngine, slug: string, routing: AppRouting, payload: unknown): Promise<{ groups: RoutedGroup[]; unkeyed: unknown[] }> {
  const found = await engine.evaluate(`${slug}/provider.json#app_routing.items`, routing.items, payload);
  const items = found === undefined ? [] : Array.isArray(found) ? found : [found];
  const groups = new Map<string, unknown[]>();
  const unkeyed: unknown[] = [];
  for (const item of items) {
    const key = await engine.evaluate(`${slug}/provider.json#app_routing.remote_key`, routing.remote_key, item).catch(() => undefined);
    if (typeof key !== 'string' && typeof key !== 'number') {
      unkeyed.push(item);
      continue;
    }
    const list = groups.get(String(key)) ?? [];
    list.push(item);
    groups.set(String(key), list);
  }
  return { groups: [...groups].map(([remoteKey, list]) => ({ remoteKey, items: list })), unkeyed };
}

/** The payload for one account's items of a batch that spans several accounts. */
export async function rebuildPayload(engine: MappingEngine, slug: string, routing: AppRouting, payload: unknown, items: unknown[]): Promise<unknown> {
  return engine.evaluate(`${slug}/provider.json#app_routing.rebuild`, routing.rebuild, { payload, items });
}
