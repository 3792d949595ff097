import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderDefinition } from '@switchyard/contracts';
import { cursorKey } from './cursor/index.js';
import { EgressPolicy } from '@switchyard/kernel';
import { MappingEngine, type LoadedProvider } from '@switchyard/mapping';
import { syntheticAccount } from '@switchyard/stores';
import { ProviderHttp } from './http.js';
import { UnifiedEngine } from './unified.js';

/** A provider that pages with RFC 8288 Link headers (GitHub-style), on loopback. */
function linkPagedProvider(total: number): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const page = Number(url.searchParams.get('page') ?? '1');
    const per = Number(url.searchParams.get('per_page') ?? '10');
    const items = Array.from({ length: total }, (_, i) => ({ id: i + 1, name: `Employee ${i + 1}` })).slice((page - 1) * per, page * per);
    const host = `http://${request.headers.host}`;
    const links = [`<${host}/people?page=1&per_page=${per}>; rel="first"`];
    if (page * per < total) links.push(`<${host}/people?page=${page + 1}&per_page=${per}>; rel="next"`);
    response.writeHead(200, { 'content-type': 'application/json', link: links.join(', ') });
    response.end(JSON.stringify(items));
  });
}

describe('UnifiedEngine: Link-header pagination', () => {
  let server: Server;
  let base = '';
  const http = new ProviderHttp(new EgressPolicy(['127.0.0.0/8']), { timeoutMs: 5_000 });
  const engine = new UnifiedEngine({ engine: new MappingEngine(), http, cursorKey: cursorKey(Buffer.alloc(32, 3)) });

  beforeAll(async () => {
    server = linkPagedProvider(25);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('follows rel="next" to the end through one sealed cursor, with no gaps or repeats', async () => {
    const definition = ProviderDefinition.parse({
      slug: 'linkdemo',
      name: 'Link demo',
      category: 'hris',
      version: '1',
      api: {
        base_url: 'https://api.example.com',
        auth: { type: 'api_key_header', header: 'x-api-key' },
        resources: {
          'hris/employees': { list: { path: '/people', map: '{"remote_id": $string(id), "display_name": name}', pagination: { style: 'link_header', limit_param: 'per_page' } } },
        },
      },
    });
    const provider: LoadedProvider = { definition, dir: '', webhookMapping: undefined };
    const account = syntheticAccount({ provider: 'linkdemo', environmentId: 'env_1', config: { base_url: base } });
    const target = { provider, account, credentials: { api_key: 'k' } };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { value } = await engine.list(target, 'hris/employees', { limit: 10, cursor, filters: {}, include_remote_data: false });
      seen.push(...value.result.map((r) => String(r.remote_id)));
      cursor = value.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));

    // A cursor sealed for this account does not open for another.
    const first = await engine.list(target, 'hris/employees', { limit: 10, filters: {}, include_remote_data: false });
    const other = { ...target, account: { ...account, id: 'acc_other' } };
    await expect(engine.list(other, 'hris/employees', { limit: 10, cursor: first.value.next_cursor!, filters: {}, include_remote_data: false })).rejects.toMatchObject({ code: 'SWY_ERR_CURSOR_INVALID' });
  });
});
