import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiResource, ProviderDefinition, SwitchyardError } from '@switchyard/contracts';
import { EgressPolicy } from '@switchyard/kernel';
import { MappingEngine, type LoadedProvider } from '@switchyard/mapping';
import { syntheticAccount } from '@switchyard/stores';
import { cursorKey } from './cursor/index.js';
import { ProviderHttp } from './http.js';
import { UnifiedEngine } from './unified.js';

/**
 * A provider that runs writes as jobs in a shape unlike NetSuite's (one status URL in the body, a
 * `state` field), on loopback: `POST /people` answers 202 `{status_url}` (or 200 with the record when the
 * name says `now`); `GET /jobs/{n}` answers `{state: running|done, result_url}` — running for the first
 * two reads; `GET /results/{n}` the record. Names steer the odd cases.
 */
function jobProvider(): Server {
  const reads = new Map<string, number>();
  return createServer((request, response) => {
    const host = `http://${request.headers.host}`;
    const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const url = request.url ?? '/';
      if (request.method === 'POST' && url === '/people') {
        const name = String(JSON.parse(text).name);
        if (name === 'now') return send(200, { id: 'p-now', name });
        if (request.headers.prefer !== 'respond-async') return send(400, { message: 'jobs only' });
        const job = { outside: 'http://203.0.113.9/jobs/1', vanished: `${host}/jobs/gone`, lost: `${host}/jobs/lost` }[name] ?? `${host}/jobs/${name}`;
        return send(202, { status_url: job });
      }
      const job = /^\/jobs\/([\w-]+)$/.exec(url)?.[1];
      if (job && job !== 'gone') {
        const n = (reads.get(job) ?? 0) + 1;
        reads.set(job, n);
        return send(200, n < 3 ? { state: 'running' } : { state: 'done', ...(job === 'lost' ? {} : { result_url: `/results/${job}` }) });
      }
      const result = /^\/results\/([\w-]+)$/.exec(url)?.[1];
      if (result) return send(200, { id: `p-${result}`, name: result });
      return send(404, { message: 'no such thing' });
    });
  });
}

describe('UnifiedEngine: writes the provider runs as jobs (async)', () => {
  let server: Server;
  let base = '';
  const http = new ProviderHttp(new EgressPolicy(['127.0.0.0/8']), { timeoutMs: 5_000 });
  const unified = new UnifiedEngine({ engine: new MappingEngine(), http, cursorKey: cursorKey(Buffer.alloc(32, 5)), jobTimeoutMs: 5_000 });
  const definition = ProviderDefinition.parse({
    slug: 'jobdemo',
    name: 'Job demo',
    category: 'hris',
    version: '1',
    api: {
      base_url: 'https://api.example.com',
      auth: { type: 'api_key_header', header: 'x-api-key' },
      resources: {
        'hris/employees': {
          create: {
            method: 'POST',
            path: '/people',
            body: '{ "name": input.data.display_name }',
            remote_id: 'body.id',
            async: { headers: { Prefer: 'respond-async' }, job: 'status = 202 ? body.status_url', steps: [{ until: 'body.state = "done"', next: 'body.result_url' }], poll_interval_ms: 50 },
          },
        },
      },
    },
  });
  const provider: LoadedProvider = { definition, dir: '', webhookMapping: undefined };
  const target = () => ({ provider, account: syntheticAccount({ provider: 'jobdemo', environmentId: 'env_1', config: { base_url: base } }), credentials: { api_key: 'k' } });
  const create = (name: string) => unified.create(target(), 'hris/employees', { display_name: name });
  const refusal = async (name: string) => {
    const error = await create(name).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    return error as SwitchyardError;
  };

  beforeAll(async () => {
    server = jobProvider();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('follows the job while it runs and answers with the result the last URL gives', async () => {
    expect((await create('ada')).value.remote_id).toBe('p-ada');
  });

  it('takes an answer that names no job as the write answered at once', async () => {
    expect((await create('now')).value.remote_id).toBe('p-now');
  });

  it('refuses a job URL outside the provider, a job the provider no longer knows, and a step that gives no URL, each as a provider error', async () => {
    expect((await refusal('outside')).message).toMatch(/points outside the provider/);
    const vanished = await refusal('vanished');
    expect(vanished.code).toBe('SWY_ERR_PROVIDER_ERROR');
    expect(vanished.message).toMatch(/no longer knows its job \/jobs\/gone/);
    const lost = await refusal('lost');
    expect(lost.code).toBe('SWY_ERR_PROVIDER_ERROR');
    expect(lost.message).toMatch(/gave no URL for its next step \(async\.steps\.0\.next\)/);
  });

  it('gives up after the job wait with SWY_ERR_PROVIDER_JOB_TIMEOUT naming the job', async () => {
    const impatient = new UnifiedEngine({ engine: new MappingEngine(), http, cursorKey: cursorKey(Buffer.alloc(32, 5)), jobTimeoutMs: 60 });
    const error = await impatient.create(target(), 'hris/employees', { display_name: 'slowpoke' }).then(() => undefined, (e: unknown) => e as SwitchyardError);
    expect(error?.code).toBe('SWY_ERR_PROVIDER_JOB_TIMEOUT');
    expect(error?.extensions).toMatchObject({ provider_job: '/jobs/slowpoke' });
  });

  it('is declared on writes only: a list or get with async is refused at load', () => {
    const job = { job: 'headers.location', steps: [{ next: 'body.next' }] };
    expect(ApiResource.safeParse({ list: { path: '/people', async: job } }).success).toBe(false);
    expect(ApiResource.safeParse({ update: { method: 'PATCH', path: '/people/{id}', async: job } }).success).toBe(true);
  });
});
