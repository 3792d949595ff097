import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVia } from '../harness/api.js';
import { startSplitServices, type ChildHub } from '../harness/child-hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** One span as an OTLP/HTTP JSON export carries it, with its process's `service.name`. */
interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

/** A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON at /v1/traces and keeps the spans. */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string }> }> }>;
        };
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const scope of scopeSpans) for (const s of scope.spans) spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '' });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The production shape with tracing on: edge, normalizer, delivery and request each in its own process,
 * exporting over OTLP/HTTP to a collector. The trace crosses the processes only on NATS headers, and
 * the collector receives one trace whose spans come from three services, each linked to the one before.
 */
describe('tracing across services running alone', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let receiver: Receiver;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const services: Partial<Record<'edge' | 'normalizer' | 'delivery' | 'request', ChildHub>> = {};
  const adminToken = randomBytes(24).toString('hex');

  beforeAll(async () => {
    nats = await startTestNats();
    [receiver, collector] = await Promise.all([startReceiver(), startCollector()]);
    const env = {
      SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    Object.assign(services, await startSplitServices(nats.url, { adminToken, env: () => env }));
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s?.stop('SIGTERM')));
    await Promise.all([receiver?.close(), collector?.close()]);
    await nats?.stop();
  });

  it('exports one trace from the edge process through the normalizer to the delivery POST', async () => {
    const post = (path: string, token: string, body: unknown) => createVia(services.request!.url, path, token, body);
    const environment = await post('/v1/environments', adminToken, { name: 'traced' });
    const account = await post('/v1/integrated-accounts', environment.api_key!, { provider: 'bamboohr', credentials: {}, webhook_secret: 'traced-key' });
    await post('/v1/subscriptions', environment.api_key!, { url: receiver.url, event_types: ['hris/employees:*'] });

    const traceId = randomBytes(16).toString('hex');
    const signed = signBamboo('traced-key', bambooEvent('employee.created', 'split-trace-1'));
    expect((await sendBamboo(account.webhook_url!, { ...signed, headers: { ...signed.headers, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } })).status).toBe(200);
    const [delivery] = await eventually('the delivery', () => receiver.delivered().length === 1 && receiver.delivered());
    const [, receivedTrace, receivedParent] = String(delivery!.headers.traceparent).split('-');
    expect(receivedTrace).toBe(traceId);

    const wanted = ['publish RAW', 'map', 'publish EVENTS', 'fanout', 'deliver'];
    const spans = await eventually('the exported spans', () => {
      const ours = collector.spans.filter((s) => s.traceId === traceId);
      return wanted.every((name) => ours.some((s) => s.name === name)) && ours;
    });
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    expect(wanted.map((name) => byName(name).service)).toEqual(['switchyard-edge', 'switchyard-normalizer', 'switchyard-normalizer', 'switchyard-delivery', 'switchyard-delivery']);
    expect(byName('map').parentSpanId).toBe(byName('publish RAW').spanId);
    expect(byName('fanout').parentSpanId).toBe(byName('publish EVENTS').spanId);
    expect(byName('deliver').spanId).toBe(receivedParent);
    // The request process took no part in this trace.
    expect(spans.filter((s) => s.service === 'switchyard-request')).toEqual([]);
  });
});

/**
 * "No cost when off", checked where it is decided: a process that imports every service of the hub and
 * starts tracing as configured, with a module hook recording each `@opentelemetry/*` package resolved.
 */
describe('tracing off loads no OpenTelemetry code', () => {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const loaded = async (env: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-otel-'));
    try {
      const log = join(dir, 'resolved.txt');
      await writeFile(log, '');
      await writeFile(
        join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /node_modules\\/(@opentelemetry\\/[^/]+)/.exec(r.url);
  if (m) appendFileSync(${JSON.stringify(log)}, m[1] + '\\n');
  return r;
}`,
      );
      await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
      const kernel = pathToFileURL(join(root, 'services/runtime/kernel/dist/index.js')).href;
      const hub = pathToFileURL(join(root, 'services/hub/dist/index.js')).href;
      const script = `const k = await import(${JSON.stringify(kernel)}); await import(${JSON.stringify(hub)});
const t = await k.startTracing(k.loadConfig(k.TracingEnv, process.env), { serviceName: 'probe' }); await t.close();`;
      await promisify(execFile)(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env } });
      return [...new Set((await readFile(log, 'utf8')).split('\n').filter(Boolean))].sort();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('resolves not one @opentelemetry package with tracing off, and the SDK only when it is on', async () => {
    expect(await loaded({})).toEqual([]);
    expect(await loaded({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(await loaded({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']));
  });
});
