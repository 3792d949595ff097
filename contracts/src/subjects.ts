import { ACTIONS, type Action, type OperationalEventType } from './event-type.js';

/**
 * NATS subjects of the bus, in one place:
 * - `events.<environment>.<category>.<resource>.<action>`: normalized events (stream EVENTS);
 * - `raw.<provider>.<account>`: verified inbound deliveries (stream RAW);
 * - `deliveries.q.<shard>.<subscription>[.r]`: one delivery task per (event, subscription), sharded (stream DELIVERIES);
 * - `attempts.<subscription>.<event>.<task>`: one task's delivery attempts (stream ATTEMPTS);
 * - `dead.<stage>.<...>`: what a stage could not handle, with its error (stream DEAD).
 * EVENTS also carries the hub's operational events (`events.<env>.webhook.endpoint.disabled`…), whose
 * subjects follow their types, not the record shape. docs/internal-consumers.md has the whole contract.
 *
 * Builders refuse a token that would change the subject's shape: a `.` would add a level and `*`/`>`
 * would turn a publish subject into a wildcard, so a bad id fails loudly instead of publishing where
 * no consumer listens (or where every consumer does).
 */
export const SUBJECT_ROOTS = { events: 'events', raw: 'raw', deliveries: 'deliveries', attempts: 'attempts', dead: 'dead' } as const;

/** Every subject under one root (`raw.>`): what a stream captures, or a consumer that takes it all. */
export function rootSubject(root: keyof typeof SUBJECT_ROOTS): string {
  return `${SUBJECT_ROOTS[root]}.>`;
}

// No separators, no wildcards, no whitespace (NATS splits on `.`, reserves `*` and `>`, forbids spaces).
const TOKEN = /^[^.*>\s]+$/;

/** True when `value` can be one token of a NATS subject. */
export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}

function token(name: string, value: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new TypeError(`${name} ${JSON.stringify(value)} cannot be a NATS subject token (empty, or contains '.', '*', '>' or whitespace)`);
  }
  return value;
}

function action(value: string): Action {
  if (!(ACTIONS as readonly string[]).includes(value)) throw new TypeError(`action ${JSON.stringify(value)} is not one of ${ACTIONS.join(', ')}`);
  return value as Action;
}

/** The parts of an event subject. `environment` is the environment id (`env_…`). */
export interface EventSubjectParts {
  environment: string;
  category: string;
  resource: string;
  action: Action;
}

/** The subject an event is published on: `events.env_1.hris.employees.created`. Throws on a bad token. */
export function eventSubject(parts: EventSubjectParts): string {
  return [
    SUBJECT_ROOTS.events,
    token('environment', parts.environment),
    token('category', parts.category),
    token('resource', parts.resource),
    action(parts.action),
  ].join('.');
}

/** The subject of an envelope (`environment_id`, `category`, `resource`, `action` fields). */
export function envelopeSubject(envelope: { environment_id: string; category: string; resource: string; action: Action }): string {
  return eventSubject({ environment: envelope.environment_id, category: envelope.category, resource: envelope.resource, action: envelope.action });
}

/** Splits an event subject into its parts; undefined for any other subject (or a wildcard). */
export function parseEventSubject(subject: string): EventSubjectParts | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== SUBJECT_ROOTS.events) return undefined;
  const [, environment, category, resource, act] = parts as [string, string, string, string, string];
  if (![environment, category, resource].every(isSubjectToken)) return undefined;
  if (!(ACTIONS as readonly string[]).includes(act)) return undefined;
  return { environment, category, resource, action: act as Action };
}

/**
 * A filter subject over record events: each part left out is a `*` wildcard, so the filter matches
 * five-token subjects only, e.g. `{ environment: 'env_1', category: 'hris', resource: 'employees' }`
 * → `events.env_1.hris.employees.*`, `{ environment: 'env_1', action: 'deleted' }` →
 * `events.env_1.*.*.deleted`. Leaving out the category also matches the hub's operational events
 * that have three segments (`events.env_1.webhook.endpoint.disabled`): tell them apart by `type`, or
 * by {@link parseEventSubject} returning undefined. A part is never written `*` by hand: leave it out.
 */
export function eventsSubject(filter: Partial<EventSubjectParts> = {}): string {
  return [
    SUBJECT_ROOTS.events,
    filter.environment === undefined ? '*' : token('environment', filter.environment),
    filter.category === undefined ? '*' : token('category', filter.category),
    filter.resource === undefined ? '*' : token('resource', filter.resource),
    filter.action === undefined ? '*' : action(filter.action),
  ].join('.');
}

/** The parts of a raw-delivery subject. `account` is the integrated account id (`acc_…`). */
export interface RawSubjectParts {
  provider: string;
  account: string;
}

/**
 * RAW is cut into {@link RAW_SHARDS} shards by integrated account, so one normalizer process works all of an
 * account's deliveries in the order the hub took them in (per-record order, docs/ordering.md) while
 * accounts spread over processes. Fixed: a delivery's subject is derived from it.
 */
export const RAW_SHARDS = 32;

/** FNV-1a of a key mod `shards`: stable across processes and versions. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

const shardToken = (shard: number) => `p${String(shard).padStart(2, '0')}`;

/** The subject a verified delivery is stored on: `raw.bamboohr.acc_1.p07` (the account's shard). Throws on a bad token. */
export function rawSubject(parts: RawSubjectParts): string {
  const account = token('account', parts.account);
  return [SUBJECT_ROOTS.raw, token('provider', parts.provider), account, shardToken(shardOf(account, RAW_SHARDS))].join('.');
}

/**
 * A filter over raw deliveries; each part left out is `*`: `raw.bamboohr.*.*`, `raw.*.acc_1.*`. Deliveries
 * stored by versions before the shards (`raw.<provider>.<account>`) match {@link legacyRawFilterSubject}.
 */
export function rawFilterSubject(filter: Partial<RawSubjectParts> = {}): string {
  return `${legacyRawFilterSubject(filter)}.*`;
}

/** The same filter over deliveries stored before RAW had shards: `raw.bamboohr.*`. */
export function legacyRawFilterSubject(filter: Partial<RawSubjectParts> = {}): string {
  return [
    SUBJECT_ROOTS.raw,
    filter.provider === undefined ? '*' : token('provider', filter.provider),
    filter.account === undefined ? '*' : token('account', filter.account),
  ].join('.');
}

/**
 * Every raw delivery of one provider, or of all, in either layout (sharded or from before the shards):
 * `raw.bamboohr.>`, `raw.>`. For readers that must see old deliveries too (replay, registration notices).
 */
export function rawProviderSubject(provider?: string): string {
  return provider === undefined ? rootSubject('raw') : `${SUBJECT_ROOTS.raw}.${token('provider', provider)}.>`;
}

/** One RAW shard's deliveries: `raw.*.*.p07`. */
export function rawShardFilter(shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= RAW_SHARDS) throw new RangeError(`raw shard ${shard} is not 0…${RAW_SHARDS - 1}`);
  return `${SUBJECT_ROOTS.raw}.*.*.${shardToken(shard)}`;
}

/** Splits a raw-delivery subject (sharded or from before the shards); undefined for any other subject. */
export function parseRawSubject(subject: string): RawSubjectParts | undefined {
  const parts = subject.split('.');
  if ((parts.length !== 3 && parts.length !== 4) || parts[0] !== SUBJECT_ROOTS.raw) return undefined;
  const [, provider, account] = parts as [string, string, string];
  return isSubjectToken(provider) && isSubjectToken(account) ? { provider, account } : undefined;
}

/**
 * Delivery lanes are sharded: a subscription's tasks live under one of {@link DELIVERY_SHARDS} shards
 * (`deliveries.q.<shard>.<subscription>`), and each shard has one consumer for new tasks and one for
 * retries, whatever the number of endpoints. The count is fixed: a task's subject is derived from it, so
 * changing it would strand queued tasks. 32 shards spread over up to 32 delivery processes.
 */
export const DELIVERY_SHARDS = 32;

/** A subscription's shard, 0 … DELIVERY_SHARDS-1: FNV-1a of its id, stable across processes and versions. */
export function deliveryShard(subscription: string): number {
  return shardOf(subscription, DELIVERY_SHARDS);
}

/** The subject of a subscription's new delivery tasks: `deliveries.q.p07.sub_1`. Throws on a bad token. */
export function deliverySubject(subscription: string): string {
  return `${SUBJECT_ROOTS.deliveries}.q.${shardToken(deliveryShard(token('subscription', subscription)))}.${subscription}`;
}

/**
 * The subject of a subscription's tasks waiting for a retry (or deferred while the endpoint is paused or
 * backlogged): `deliveries.q.p07.sub_1.r`. A lane of its own, so waiting tasks never take the places the
 * endpoint's new tasks need.
 */
export function deliveryRetrySubject(subscription: string): string {
  return `${deliverySubject(subscription)}.r`;
}

/** Every subject a subscription's tasks use: new ones and those waiting in the retry lane. */
export function deliverySubjects(subscription: string): [string, string] {
  return [deliverySubject(subscription), deliveryRetrySubject(subscription)];
}

/** A shard's filters: its new tasks (`deliveries.q.p07.*`) and its retry lane (`deliveries.q.p07.*.r`). */
export function deliveryShardFilters(shard: number): { tasks: string; retries: string } {
  if (!Number.isInteger(shard) || shard < 0 || shard >= DELIVERY_SHARDS) throw new RangeError(`delivery shard ${shard} is not 0…${DELIVERY_SHARDS - 1}`);
  const base = `${SUBJECT_ROOTS.deliveries}.q.${shardToken(shard)}.*`;
  return { tasks: base, retries: `${base}.r` };
}

/**
 * Where earlier versions put tasks, one lane pair per subscription: `deliveries.<subscription>` and
 * `deliveries.<subscription>.retry`. Only the upgrade path reads these (delivery/legacy-lanes.ts).
 */
export const LEGACY_DELIVERY_FILTERS = { tasks: `${SUBJECT_ROOTS.deliveries}.*`, retries: `${SUBJECT_ROOTS.deliveries}.*.retry` } as const;

/** The subscription id of a delivery subject (either lane, current or legacy layout); undefined for any other subject. */
export function parseDeliverySubject(subject: string): string | undefined {
  const parts = subject.split('.');
  if (parts[0] !== SUBJECT_ROOTS.deliveries) return undefined;
  let subscription: string | undefined;
  if (parts[1] === 'q' && (parts.length === 4 || (parts.length === 5 && parts[4] === 'r'))) subscription = parts[3];
  else if (parts.length === 2 || (parts.length === 3 && parts[2] === 'retry')) subscription = parts[1];
  return subscription !== undefined && isSubjectToken(subscription) && subscription !== 'q' ? subscription : undefined;
}

/** Every event of one environment, record and operational alike: `events.env_1.>`. */
export function environmentEventsSubject(environment: string): string {
  return `${SUBJECT_ROOTS.events}.${token('environment', environment)}.>`;
}

/**
 * The EVENTS subject of an operational event: its type's segments as tokens, e.g.
 * `events.<env>.webhook.endpoint.disabled`, `events.<env>.integrated_account.created`.
 */
export function operationalSubject(environment: string, type: OperationalEventType): string {
  return [SUBJECT_ROOTS.events, token('environment', environment), ...type.split(/[/:]/).map((part) => token('type', part))].join('.');
}

/** The subject of one task's attempt records: `attempts.sub_1.evt_1.o`. Throws on a bad token. */
export function attemptSubject(subscription: string, event: string, task: string): string {
  return [SUBJECT_ROOTS.attempts, token('subscription', subscription), token('event', event), token('task', task)].join('.');
}

/** A filter over attempt records; each part left out is `*`: `attempts.sub_1.*.*`, `attempts.*.evt_1.*`. */
export function attemptsFilterSubject(filter: { subscription?: string; event?: string } = {}): string {
  return [
    SUBJECT_ROOTS.attempts,
    filter.subscription === undefined ? '*' : token('subscription', filter.subscription),
    filter.event === undefined ? '*' : token('event', filter.event),
    '*',
  ].join('.');
}

/**
 * Where each stage keeps what it could not handle, and the tokens after the stage:
 * `edge` (provider, provider app), `normalizer` (provider, account), `delivery` (subscription).
 */
export interface DeadLetterPlace {
  edge: { provider: string; app: string };
  normalizer: { provider: string; account: string };
  delivery: { subscription: string };
}
export type DeadLetterStage = keyof DeadLetterPlace;

const DEAD_TOKENS: { [S in DeadLetterStage]: ReadonlyArray<keyof DeadLetterPlace[S]> } = {
  edge: ['provider', 'app'],
  normalizer: ['provider', 'account'],
  delivery: ['subscription'],
};

/** The subject of a dead letter: `dead.normalizer.bamboohr.acc_1`, `dead.delivery.sub_1`. Throws on a bad token. */
export function deadSubject<S extends DeadLetterStage>(stage: S, place: DeadLetterPlace[S]): string {
  return [SUBJECT_ROOTS.dead, stage, ...DEAD_TOKENS[stage].map((name) => token(String(name), place[name] as string))].join('.');
}

/** A filter over one stage's dead letters; each part left out is `*`: `dead.normalizer.bamboohr.*`. */
export function deadFilterSubject<S extends DeadLetterStage>(stage: S, filter: Partial<DeadLetterPlace[S]> = {}): string {
  return [
    SUBJECT_ROOTS.dead,
    stage,
    ...DEAD_TOKENS[stage].map((name) => (filter[name] === undefined ? '*' : token(String(name), filter[name] as string))),
  ].join('.');
}
