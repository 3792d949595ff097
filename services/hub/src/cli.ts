#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deepMerge, MappingDocument, MappingOverride, SwitchyardError } from '@switchyard/contracts';
import { enrichmentGaps, MappingEngine, mappingVersion, normalize, ProviderCatalog, providerExpressions } from '@switchyard/mapping';
import { syntheticAccount } from '@switchyard/stores';
import { remoteClient, REMOTE_USAGE_NOTE, type RemoteCliOptions } from './cli-client.js';
import { eventsTail, EVENTS_USAGE } from './cli-events.js';
import { isPollingCommand, pollingCommand, POLLING_USAGE } from './cli-polling.js';
import { mappingsPreview, PREVIEW_USAGE } from './cli-preview.js';
import { replayCommand, REPLAY_USAGE } from './cli-replay.js';
import { subscriptionsCreate, subscriptionsList, subscriptionsTest, SUBSCRIPTIONS_USAGE } from './cli-subscriptions.js';

const USAGE = `usage:
  switchyard mappings lint [--dir <mappings dir>]
      validate every provider definition and compile every JSONata expression; says which run
      compiled and which on the jsonata interpreter, and why; fails when a webhook mapping asks to
      enrich a resource its provider's api section cannot get (shown by the provider's fixtures)
  switchyard mappings test <provider> <payload.json> [--account-override <override.json>] [--config <config.json>] [--dir <mappings dir>]
      print the events a webhook payload produces (nothing is published); the override is a partial
      mapping document ({"webhook": {"mapping"?, "bindings"?}}), deep-merged over the base
${PREVIEW_USAGE}
${EVENTS_USAGE}
${SUBSCRIPTIONS_USAGE}
${POLLING_USAGE}
${REPLAY_USAGE}
${REMOTE_USAGE_NOTE}`;

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(resolve(path), 'utf8'));

/**
 * `switchyard mappings lint`: loads the catalog, which validates and compiles everything, and says
 * what it found — per provider, how many of its expressions run compiled, and for each one that runs
 * on the jsonata interpreter instead, where it is and why. A webhook mapping that asks to enrich a
 * resource its provider's `api` section has no `get` for is an error (exit 1): its events could only
 * ever go out `enrichment: failed`.
 */
async function lint(dir: string | undefined): Promise<number> {
  const engine = new MappingEngine();
  const catalog = await ProviderCatalog.load(dir, engine);
  let total = 0;
  let compiled = 0;
  let gaps = 0;
  for (const provider of catalog.list()) {
    const d = provider.definition;
    const parts = d.webhook ? [`${d.webhook.verify.map((v) => (v.scheme === 'any_of' ? `any_of(${v.of.map((a) => a.scheme).join('|')})` : v.scheme)).join('+')}`, `${d.webhook.handshakes.length} handshake(s)`, d.webhook.app_routing ? 'app-level' : 'per-account'] : ['no webhooks'];
    if (d.registration) parts.push(d.registration.mode === 'api' ? 'registration automatic' : 'registration manual');
    for (const [resource, polled] of Object.entries(d.polling?.resources ?? {})) parts.push(`polls ${resource} (${polled.source.type})`);
    const expressions = providerExpressions(provider).map((e) => ({ ...e, compiled: engine.compile(e.where, e.source) }));
    const fallbacks = expressions.filter((e) => !e.compiled.compiled);
    total += expressions.length;
    compiled += expressions.length - fallbacks.length;
    parts.push(`${expressions.length - fallbacks.length}/${expressions.length} expressions compiled`);
    process.stdout.write(`ok  ${d.slug.padEnd(20)} ${parts.join(', ')}\n`);
    for (const e of fallbacks) process.stdout.write(`      jsonata  ${e.where}: ${e.compiled.reason}\n`);
    for (const gap of await enrichmentGaps(engine, provider)) {
      gaps++;
      process.stdout.write(`      error    ${d.slug}/fixtures/${gap.fixture}: ${gap.type} asks to enrich ${gap.resource}, which api.resources cannot get\n`);
    }
  }
  process.stdout.write(`${catalog.list().length} provider definitions valid; ${compiled} of ${total} expressions run compiled, ${total - compiled} on the jsonata interpreter\n`);
  if (gaps > 0) {
    process.stderr.write(`switchyard: SWY_ERR_CONFIG_INVALID: ${gaps} enrichment(s) of a resource the provider cannot get\n`);
    return 1;
  }
  return 0;
}

/** `switchyard mappings test`: runs a payload through the (optionally overridden) mapping and prints the events. */
async function test(slug: string, payloadPath: string, options: { override?: string; config?: string; dir?: string }): Promise<number> {
  const engine = new MappingEngine();
  const catalog = await ProviderCatalog.load(options.dir, engine);
  const provider = catalog.get(slug);
  if (!provider?.webhookMapping) throw new SwitchyardError('SWY_ERR_PROVIDER_UNKNOWN', `no provider '${slug}' with a webhook mapping (known: ${catalog.list().map((p) => p.definition.slug).join(', ')})`);
  let mapping = provider.webhookMapping;
  if (options.override) {
    const override = MappingOverride.parse(await readJson(options.override));
    const merged = MappingDocument.parse(deepMerge({ webhook: { mapping: mapping.source, bindings: mapping.bindings } }, override));
    mapping = {
      name: `${mapping.name} + ${options.override}`,
      source: merged.webhook.mapping,
      bindings: merged.webhook.bindings,
      version: mappingVersion(slug, provider.definition.version, merged.webhook.mapping, merged.webhook.bindings),
    };
  }
  const now = new Date().toISOString();
  const config = options.config ? ((await readJson(options.config)) as Record<string, unknown>) : {};
  const account = syntheticAccount({ provider: slug, environmentId: 'env_cli', id: 'acc_cli', config });
  const events = await normalize(engine, mapping, { provider: slug, account, eventKey: 'cli', receivedAt: now, origin: 'webhook', payload: await readJson(payloadPath), headers: {} });
  process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'account-override': { type: 'string' },
      config: { type: 'string' },
      url: { type: 'string' },
      account: { type: 'string' },
      mapping: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      provider: { type: 'string' },
      code: { type: 'string' },
      once: { type: 'boolean' },
      events: { type: 'string' },
      filter: { type: 'string' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, command, ...rest] = positionals;
  const usage = (code: number) => {
    (code === 0 ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return code;
  };
  if (values.help) return usage(0);
  // Commands that call a running hub, through the client generated from its OpenAPI document.
  const remote = (): RemoteCliOptions => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    return { client: remoteClient(values.url), out: (text) => process.stdout.write(text), signal: stop.signal };
  };
  if (group === 'polling' && isPollingCommand(command) && rest.length === 1) return pollingCommand(command, rest[0]!, remote());
  if (group === 'events' && command === 'tail' && rest.length === 0) return eventsTail({ ...remote(), type: values.type, since: values.since, once: values.once });
  if (group === 'replay' && (command === 'dead-letters' || command === 'raw') && rest.length === 0) {
    return replayCommand(command, { provider: values.provider, account: values.account, code: values.code, since: values.since, until: values.until }, remote());
  }
  if (group === 'subscriptions') {
    if (command === 'list' && rest.length === 0) return subscriptionsList(remote());
    if (command === 'create' && rest.length === 1) {
      const events = (values.events ?? '').split(',').map((e) => e.trim()).filter(Boolean);
      return subscriptionsCreate(rest[0]!, { ...remote(), events, filter: values.filter, description: values.description });
    }
    if (command === 'test' && rest.length === 1) return subscriptionsTest(rest[0]!, remote());
    return usage(2);
  }
  if (group !== 'mappings') return usage(2);
  if (command === 'lint') return lint(values.dir);
  if (command === 'test' && rest.length === 2) {
    return test(rest[0]!, rest[1]!, { override: values['account-override'], config: values.config, dir: values.dir });
  }
  if (command === 'preview' && rest.length === 2) return mappingsPreview(rest[0]!, rest[1]!, { ...remote(), account: values.account, mapping: values.mapping });
  return usage(2);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SwitchyardError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`switchyard: ${message}\n`);
    process.exitCode = 1;
  },
);
