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

/** A provider that keeps one versioned record per id and refuses a write naming an old version (QuickBooks' SyncToken). */
function versionedProvider(): { server: Server; records: Map<string, { id: string; name: string; version: number }>; writes: string[] } {
  const records = new Map([['7', { id: '7', name: 'Ada', version: 3 }]]);
  const writes: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const id = url.pathname.split('/')[2] ?? '';
    if (request.method === 'GET') {
      const found = records.get(id);
      return found ? answer(200, found) : answer(404, { message: 'no such thing' });
    }
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    request.on('end', () => {
      writes.push(`${request.method} ${url.pathname} ${raw}`);
      const found = records.get(id);
      // Only an existing record may be written (the If-Match: * of an upserting PUT): 412 otherwise.
      if (!found) return answer(412, { message: 'precondition failed' });
      const body = JSON.parse(raw) as { name: string; version: number };
      if (body.version !== found.version) return answer(400, { message: 'stale version' });
      const next = { ...found, name: body.name, version: found.version + 1 };
      records.set(id, next);
      return answer(200, next);
    });
  });
  return { server, records, writes };
}

describe('UnifiedEngine: read before write (prefetch) and not_found_statuses', () => {
  const sim = versionedProvider();
  let base = '';
  const http = new ProviderHttp(new EgressPolicy(['127.0.0.0/8']), { timeoutMs: 5_000 });
  const engine = new UnifiedEngine({ engine: new MappingEngine(), http, cursorKey: cursorKey(Buffer.alloc(32, 3)) });
  const map = '{"remote_id": id, "display_name": name, "custom_fields": {"version": version}}';
  const target = (update: Record<string, unknown>) => {
    const definition = ProviderDefinition.parse({
      slug: 'versioned',
      name: 'Versioned demo',
      category: 'hris',
      version: '1',
      api: {
        base_url: 'https://api.example.com',
        auth: { type: 'api_key_header', header: 'x-api-key' },
        resources: { 'hris/employees': { get: { path: '/people/{id}', map }, update: { method: 'PUT', path: '/people/{id}', map, ...update } } },
      },
    });
    const provider: LoadedProvider = { definition, dir: '', webhookMapping: undefined };
    return { provider, account: syntheticAccount({ provider: 'versioned', environmentId: 'env_1', config: { base_url: base } }), credentials: { api_key: 'k' } };
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => sim.server.listen(0, '127.0.0.1', resolve));
    const address = sim.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((resolve) => sim.server.close(() => resolve()));
  });

  it('binds the current record (mapped, with remote_data) into the body, so each update names the version it read', async () => {
    const t = target({ prefetch: 'get', body: '{"name": input.data.display_name, "version": input.current.remote_data.version}' });
    const first = await engine.update(t, 'hris/employees', '7', { display_name: 'Ada L.' });
    expect(first.value.result).toMatchObject({ remote_id: '7', display_name: 'Ada L.', custom_fields: { version: 4 } });
    // The second update reads version 4 afresh: without the prefetch it would have to be told.
    const second = await engine.update(t, 'hris/employees', '7', { display_name: 'Ada Lovelace' });
    expect(second.value.result).toMatchObject({ display_name: 'Ada Lovelace', custom_fields: { version: 5 } });
  });

  it('a stale version without prefetch is the provider refusing the record', async () => {
    const t = target({ body: '{"name": input.data.display_name, "version": 1}' });
    await expect(engine.update(t, 'hris/employees', '7', { display_name: 'Stale' })).rejects.toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', extensions: { provider_message: 'stale version' } });
    expect(sim.records.get('7')!.name).not.toBe('Stale');
  });

  it('an unknown id ends a prefetching update with SWY_ERR_NOT_FOUND before anything is written', async () => {
    const writes = sim.writes.length;
    const t = target({ prefetch: 'get', body: '{"name": input.data.display_name, "version": input.current.remote_data.version}' });
    await expect(engine.update(t, 'hris/employees', '404', { display_name: 'Nobody' })).rejects.toMatchObject({ code: 'SWY_ERR_NOT_FOUND' });
    expect(sim.writes.length).toBe(writes);
  });

  it('a declared not_found status is SWY_ERR_NOT_FOUND; undeclared, it stays a refusal', async () => {
    const body = '{"name": input.data.display_name, "version": 0}';
    await expect(engine.update(target({ body, not_found_statuses: [412] }), 'hris/employees', '404', { display_name: 'Nobody' })).rejects.toMatchObject({ code: 'SWY_ERR_NOT_FOUND' });
    await expect(engine.update(target({ body }), 'hris/employees', '404', { display_name: 'Nobody' })).rejects.toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', extensions: { provider_status: 412 } });
  });

  it('the definition schema refuses a prefetch on create, or without a get to read with', () => {
    const api = (resource: Record<string, unknown>) => ({ slug: 'x', name: 'x', category: 'hris', version: '1', api: { base_url: 'https://x.example', auth: { type: 'api_key_header', header: 'k' }, resources: { 'hris/employees': resource } } });
    expect(ProviderDefinition.safeParse(api({ create: { method: 'POST', path: '/p', prefetch: 'get' }, get: { path: '/p/{id}' } })).success).toBe(false);
    expect(ProviderDefinition.safeParse(api({ update: { method: 'PUT', path: '/p/{id}', prefetch: 'get' } })).success).toBe(false);
    expect(ProviderDefinition.safeParse(api({ update: { method: 'PUT', path: '/p/{id}', prefetch: 'get' }, get: { path: '/p/{id}' } })).success).toBe(true);
  });
});
