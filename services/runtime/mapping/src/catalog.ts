import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProviderDefinition, SwitchyardError } from '@switchyard/contracts';
import { sha256Hex } from '@switchyard/kernel';
import { MappingEngine } from './mapping-engine.js';
import { apiExpressions, pollSourceExpressions } from './provider-expressions.js';

/** A JSONata file of a provider, with the version it stamps on events. */
export interface MappingSource {
  /** `<slug>/<file>`, used in error messages. */
  name: string;
  source: string;
  /** `<slug>@<definition version>+<hash of the text>`: changes whenever the mapping changes. */
  version: string;
  /** Data the expression reads as `$name`. */
  bindings: Record<string, unknown>;
}

/** The version stamped on events: provider, definition version and a hash of the expression and its bindings. */
export function mappingVersion(slug: string, definitionVersion: string, source: string, bindings: Record<string, unknown>): string {
  const bound = Object.keys(bindings).length > 0 ? JSON.stringify(bindings) : '';
  return `${slug}@${definitionVersion}+${sha256Hex(source + bound).slice(0, 8)}`;
}

/** A validated provider definition and its loaded expressions. */
export interface LoadedProvider {
  definition: ProviderDefinition;
  dir: string;
  /** The webhook mapping, when the provider receives webhooks. */
  webhookMapping: MappingSource | undefined;
  /** The mapping of polled payloads (`polling.mapping`, else the webhook mapping), when the provider is polled. */
  pollMapping?: MappingSource | undefined;
}

/** The repository's `mappings/` folder, found relative to this module (works from src/ and dist/). */
export function defaultMappingsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../mappings');
}

/**
 * Every provider definition under `mappings/<slug>/provider.json`, validated against the contracts
 * schema and with each JSONata file compiled once at load, so a broken definition stops start-up with a
 * message naming the file instead of failing on the first webhook.
 */
export class ProviderCatalog {
  readonly #providers: ReadonlyMap<string, LoadedProvider>;

  private constructor(providers: Map<string, LoadedProvider>) {
    this.#providers = providers;
  }

  static async load(dir = defaultMappingsDir(), engine = new MappingEngine()): Promise<ProviderCatalog> {
    const providers = new Map<string, LoadedProvider>();
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const providerDir = join(dir, entry.name);
      const file = join(providerDir, 'provider.json');
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `${file}: unreadable provider definition`, { cause });
      }
      const parsed = ProviderDefinition.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `${file}: ${issues}`);
      }
      const definition = parsed.data;
      if (definition.slug !== entry.name) {
        throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `${file}: slug '${definition.slug}' differs from its folder '${entry.name}'`);
      }
      let webhookMapping: MappingSource | undefined;
      if (definition.webhook) {
        const source = await readFile(join(providerDir, definition.webhook.mapping), 'utf8');
        const name = `${definition.slug}/${definition.webhook.mapping}`;
        engine.compile(name, source);
        for (const [where, expression] of declaredExpressions(definition.webhook)) engine.compile(`${definition.slug}/provider.json#${where}`, expression);
        const bindings = definition.webhook.bindings;
        webhookMapping = { name, source, bindings, version: mappingVersion(definition.slug, definition.version, source, bindings) };
      }
      for (const [where, expression] of apiExpressions(definition.api)) engine.compile(`${definition.slug}/provider.json#api.${where}`, expression);
      for (const [where, expression] of registrationExpressions(definition.registration)) engine.compile(`${definition.slug}/provider.json#registration.${where}`, expression);
      const secret = definition.registration?.mode === 'api' ? definition.registration.secret : undefined;
      if (secret?.max_length !== undefined && secret.as === 'random' && encodedLength(secret.bytes, secret.encoding) > secret.max_length) {
        throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `${file}: registration.secret: ${secret.bytes} bytes in ${secret.encoding} exceed the provider's ${secret.max_length} characters`);
      }
      const pollMapping = await loadPollMapping(engine, definition, providerDir, webhookMapping);
      providers.set(definition.slug, { definition, dir: providerDir, webhookMapping, pollMapping });
    }
    return new ProviderCatalog(providers);
  }

  /** A provider by slug. */
  get(slug: string): LoadedProvider | undefined {
    return this.#providers.get(slug);
  }

  /** Every provider, by slug order. */
  list(): LoadedProvider[] {
    return [...this.#providers.values()];
  }
}

/** Every JSONata expression a webhook definition declares besides the mapping, with where it sits. */
function declaredExpressions(webhook: NonNullable<ProviderDefinition['webhook']>): Array<[string, string]> {
  const out: Array<[string, string]> = [['webhook.event_key', webhook.event_key]];
  for (const h of webhook.handshakes) {
    out.push([`handshakes.${h.name}.match`, h.match]);
    if (h.capture_secret) out.push([`handshakes.${h.name}.capture_secret`, h.capture_secret]);
    if (h.reply.body) out.push([`handshakes.${h.name}.reply.body`, h.reply.body]);
  }
  if (webhook.reply?.body) out.push(['webhook.reply.body', webhook.reply.body]);
  if (webhook.app_routing) {
    out.push(['app_routing.items', webhook.app_routing.items], ['app_routing.remote_key', webhook.app_routing.remote_key], ['app_routing.rebuild', webhook.app_routing.rebuild]);
  }
  return out;
}

/** Every JSONata expression of a `registration` section, with where it sits (compiled at load, so a typo stops start-up). */
function registrationExpressions(registration: ProviderDefinition['registration']): Array<[string, string]> {
  if (registration?.mode !== 'api') return [];
  const out: Array<[string, string]> = [];
  const calls = {
    setup: registration.setup,
    teardown: registration.teardown,
    ...Object.fromEntries(registration.lookups.map((lookup) => [`lookups.${lookup.name}`, lookup.call])),
    create: registration.create,
    read: registration.read,
    renew: registration.renew,
    delete: registration.delete,
    'verification.call': registration.verification?.call,
    'verification.resend': registration.verification?.resend,
    'lifecycle.reauthorize': registration.lifecycle?.reauthorize,
  };
  for (const [name, call] of Object.entries(calls)) {
    if (call?.query) out.push([`${name}.query`, call.query]);
    if (call?.body) out.push([`${name}.body`, call.body]);
  }
  for (const [field, expression] of Object.entries(registration.answer)) if (expression) out.push([`answer.${field}`, expression]);
  if (registration.exists) out.push(['exists', registration.exists]);
  if (registration.setup?.keep) out.push(['setup.keep', registration.setup.keep]);
  for (const lookup of registration.lookups) out.push([`lookups.${lookup.name}.read`, lookup.read]);
  for (const [kind, expression] of Object.entries(registration.refusals)) if (expression) out.push([`refusals.${kind}`, expression]);
  if (registration.secret) out.push(['secret.as', registration.secret.as]);
  if (registration.lifecycle) out.push(['lifecycle.items', registration.lifecycle.items]);
  return out;
}

/** Characters `bytes` random bytes take in an encoding (base64url unpadded). */
function encodedLength(bytes: number, encoding: 'hex' | 'base64url'): number {
  return encoding === 'hex' ? bytes * 2 : Math.ceil((bytes * 4) / 3);
}

/** The poll mapping of a polled provider, compiled with the `polling` section's expressions (a typo stops start-up). */
async function loadPollMapping(engine: MappingEngine, definition: ProviderDefinition, providerDir: string, webhookMapping: MappingSource | undefined): Promise<MappingSource | undefined> {
  const polling = definition.polling;
  if (!polling) return undefined;
  for (const [resource, polled] of Object.entries(polling.resources)) {
    for (const [field, expression] of pollSourceExpressions(polled.source)) engine.compile(`${definition.slug}/provider.json#polling.resources.${resource}.source.${field}`, expression);
  }
  if (!polling.mapping) return webhookMapping;
  const source = await readFile(join(providerDir, polling.mapping), 'utf8');
  const name = `${definition.slug}/${polling.mapping}`;
  engine.compile(name, source);
  return { name, source, bindings: {}, version: mappingVersion(definition.slug, definition.version, source, {}) };
}
