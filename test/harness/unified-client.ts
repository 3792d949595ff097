import { expect } from 'vitest';
import type { TestHub } from './hub.js';

/** An answer of the hub's unified API: status, headers and the parsed body. */
export type UnifiedAnswer = { status: number; headers: Headers; body: any };

/**
 * The customer's side of `/unified/*` for e2e tests: calls with the environment's API key and an account
 * header (plus an Idempotency-Key when given), account creation, and a walk over every page.
 */
export function unifiedClient(hub: TestHub, apiKey: string) {
  const call = async (method: string, path: string, account: string, options: { body?: unknown; key?: string } = {}): Promise<UnifiedAnswer> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': account };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.key) headers['idempotency-key'] = options.key;
    const response = await fetch(`${hub.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const get = (path: string, account: string) => call('GET', path, account);
  return {
    call,
    get,
    /** Creates an integrated account; returns the whole answer (id, webhook_url, …). */
    connect: async (provider: string, credentials: Record<string, unknown>, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const created = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider, credentials, config, ...extra } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body as { id: string; webhook_url: string };
    },
    /** Follows `next_cursor` to the end; every remote id in order and the number of pages. */
    walk: async (resource: string, account: string, limit: number, query = '') => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await get(`/unified/${resource}?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, account);
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        expect(page.body.result.length).toBeLessThanOrEqual(limit);
        ids.push(...page.body.result.map((r: { remote_id: string }) => r.remote_id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor && pages < 50);
      return { ids, pages };
    },
  };
}
