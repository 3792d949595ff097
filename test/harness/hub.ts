import { mkdtemp, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEnv, startHub, type Hub, type HubOptions } from '@switchyard/hub';
import { createLogger, loadConfig } from '@switchyard/kernel';
import { contractAudit } from './contract-audit.js';
import { auditLogStream, rememberSecret } from './log-audit.js';

/**
 * Simulated providers and receivers listen on loopback random ports, so test hubs open loopback to
 * both deliveries and provider calls; a test of the shipped defaults overrides these with ''.
 */
export const LOOPBACK_EGRESS = { SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8,::1', SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8,::1' } as const;

/**
 * Stream bounds for test hubs: nats-server reserves every stream's max_bytes against its store limit
 * (75 % of the free disk), and the production defaults reserve 3.25 GiB, more than a small CI disk has.
 */
const TEST_STREAM_BOUNDS = {
  SWITCHYARD_RAW_MAX_BYTES: String(64 * 2 ** 20),
  SWITCHYARD_EVENTS_MAX_BYTES: String(64 * 2 ** 20),
  SWITCHYARD_DELIVERIES_MAX_BYTES: String(32 * 2 ** 20),
  SWITCHYARD_ATTEMPTS_MAX_BYTES: String(32 * 2 ** 20),
  SWITCHYARD_DEAD_MAX_BYTES: String(32 * 2 ** 20),
} as const;

/** A hub running in this process against a test nats-server, plus a small API client. */
export interface TestHub extends Hub {
  /** The hub's temporary data directory (admin and metrics tokens live there unless set). */
  readonly dataDir: string;
  /** Calls the hub's HTTP API with an optional bearer token; JSON in, JSON out. */
  call(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  /** Creates an environment with the admin token; returns its API key and id. */
  createEnvironment(name?: string): Promise<{ id: string; apiKey: string }>;
}

/**
 * Starts a hub in-process. `env` overrides the defaults (PORT=0, a temp data dir, silent logs). With
 * `captureLogs`, every log line (at debug level) is appended to it, for tests that audit the logs;
 * `options` go to startHub (an in-memory span exporter).
 */
export async function startTestHub(natsUrl: string, env: Record<string, string> = {}, captureLogs?: string[], options: HubOptions = {}): Promise<TestHub> {
  const dataDir = await mkdtemp(join(tmpdir(), 'swy-hub-'));
  const rawEnv = { PORT: '0', NATS_URL: natsUrl, SWITCHYARD_DATA_DIR: dataDir, ...LOOPBACK_EGRESS, ...TEST_STREAM_BOUNDS, ...env };
  const config = loadConfig(HubEnv, rawEnv);
  // Lines go to the test that asks for them and to the whole-suite log audit; without either, nowhere.
  const audit = auditLogStream();
  const logger =
    captureLogs || audit
      ? createLogger({
          level: 'debug',
          destination: new Writable({
            write: (chunk, enc, done) => {
              captureLogs?.push(String(chunk));
              if (audit) audit.write(chunk, enc, done);
              else done();
            },
          }),
        })
      : createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // Every answer is checked against the OpenAPI document; close() fails the test file on a mismatch.
  const contract = contractAudit();
  const hub = await startHub(config, logger, { ...options, observeResponse: contract.observe });
  rememberSecret('admin token', hub.adminToken);
  rememberSecret('metrics token', hub.metricsToken);
  const call: TestHub['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${hub.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    ...hub,
    dataDir,
    call,
    createEnvironment: async (name = 'test') => {
      const { status, body } = await call('POST', '/v1/environments', { token: hub.adminToken, body: { name } });
      if (status !== 201) throw new Error(`environment not created: ${status} ${JSON.stringify(body)}`);
      rememberSecret('environment API key', body.api_key);
      return { id: body.id, apiKey: body.api_key };
    },
    close: async () => {
      await hub.close();
      await rm(dataDir, { recursive: true, force: true });
      const violations = contract.violations();
      if (violations.length > 0) throw new Error(`answers the OpenAPI document does not describe:\n  ${violations.join('\n  ')}`);
    },
  };
}
