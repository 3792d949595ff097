import { SwitchyardError, UNIFIED_MODEL_CHECKS, UNIFIED_MODELS, type ApiOperation, type ApiResource } from '@switchyard/contracts';
import { openCursor, sealCursor, type CursorKey } from './cursor/index.js';
import type { ExpressionEvaluator, LoadedProvider, MappingEngine } from '@switchyard/mapping';
import { deterministicId, type TraceContext } from '@switchyard/kernel';
import { normalizeRateLimit, type NormalizedRateLimit } from './rate-limit/index.js';
import type { AccountRecord, ResolvedApiResource } from '@switchyard/stores';
import { followAsyncJob } from './async-job.js';
import { authorize, authorizedUrl } from './auth.js';
import { ProviderThrottled, withAccountSlot, type ConcurrencyGovernor } from './governor.js';
import type { ProviderHttp } from './http.js';
import { callWithAccessToken, type OAuth2Tokens } from './oauth2-tokens.js';
import { listBinding, nextPageState, pageQuery, type PageState } from './page-state.js';
import { providerIdempotencyKey } from './provider-idempotency.js';
import { providerFailure } from './provider-refusal.js';
import { baseUrlFor, renderHeaders, renderTemplate } from './templates.js';

export { ProviderThrottled };

/** Who a unified call is for: the provider, the account, and its decrypted credentials. */
export interface UnifiedTarget {
  provider: LoadedProvider;
  account: AccountRecord;
  credentials: Record<string, unknown>;
  /** The trace the call belongs to (an enrichment's span): provider calls carry it on as `traceparent`. */
  trace?: TraceContext | undefined;
}

/** The customer's list parameters. */
export interface ListInput {
  limit: number;
  cursor?: string | undefined;
  updated_after?: string | undefined;
  filters: Record<string, string>;
  include_remote_data: boolean;
}

/** A unified answer and the provider's rate-limit state, which the route turns into headers. */
export interface UnifiedAnswer<T> {
  value: T;
  rateLimit: NormalizedRateLimit;
}

interface CallOptions {
  input: Record<string, unknown>;
  /** The page a list call asks for, for expressions that place it themselves (offset style without params). */
  page?: { offset: number; limit: number } | undefined;
  id?: string;
  /** Values of the path's `path_params` placeholders for this call. */
  params?: Record<string, unknown> | undefined;
  extraQuery?: Record<string, string>;
  url?: string | undefined;
  /** The customer's Idempotency-Key of a write, for operations that declare `idempotency_header`. */
  idempotencyKey?: string | undefined;
  /** Headers besides the operation's (an `async` write's `Prefer: respond-async`). */
  extraHeaders?: Record<string, string> | undefined;
}

/** A provider's answer, parsed, with its rate-limit state. */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  rateLimit: NormalizedRateLimit;
}

/** Options of a unified write. */
export interface WriteOptions {
  /** The customer's `Idempotency-Key`, forwarded (derived) to providers that take one. */
  idempotencyKey?: string | undefined;
}

type OperationKind = 'list' | 'get' | 'create' | 'update' | 'delete';

/** An operation as one call uses it: the resolved definition, and which of its expressions a tenant wrote. */
type Operation = ApiOperation & { readonly kind: OperationKind; readonly resource: string; readonly tenant: ReadonlySet<string> };

const NO_TENANT_FIELDS: ReadonlySet<string> = new Set();

/** Where a resource's API overrides come from (the mapping store: base ▸ environment ▸ account). */
export interface ApiOverrides {
  resolveApi(provider: LoadedProvider, resource: string, environmentId: string, accountId?: string): ResolvedApiResource | undefined;
}

/** Where tenant-written expressions run (the expression sandbox), one evaluator per environment. */
export interface TenantExpressions {
  mappings(tenant: string): ExpressionEvaluator;
}

/** What a {@link UnifiedEngine} calls through. */
export interface UnifiedEngineParts {
  engine: MappingEngine;
  http: ProviderHttp;
  /** Seals pagination cursors. */
  cursorKey: CursorKey;
  /** Enforces the per-account concurrency caps providers declare (`api.concurrency`). */
  governor?: ConcurrencyGovernor | undefined;
  /** Refreshed OAuth2 tokens; without it, providers with a `token_url` get the static `credentials.access_token`. */
  tokens?: OAuth2Tokens | undefined;
  /** The tenants' overrides of request/response expressions and filters; without it, every call uses the definition. */
  overrides?: ApiOverrides | undefined;
  /** Runs overridden expressions and previews; required with `overrides`. */
  sandbox?: TenantExpressions | undefined;
  /** How long a write waits for a provider job (`async`) to finish, in ms (default 30 s). */
  jobTimeoutMs?: number | undefined;
}

/**
 * Unified reads and writes over a provider's REST API, every provider difference taken from its
 * definition: URL and auth, request and response JSONata, pagination style, rate-limit signals.
 * Nothing is stored: records pass through in memory. A provider 429 (or its own throttling signal)
 * becomes {@link ProviderThrottled}; the hub never retries it for the caller. A tenant's override of an
 * expression (`map`, `query`, `records`, `body`) runs in that tenant's sandbox, with the limits webhook
 * overrides get; the shipped expressions run compiled on the in-process engine.
 */
export class UnifiedEngine {
  readonly #engine: MappingEngine;
  readonly #http: ProviderHttp;
  readonly #cursorKey: CursorKey;
  readonly #governor: ConcurrencyGovernor | undefined;
  readonly #tokens: OAuth2Tokens | undefined;
  readonly #overrides: ApiOverrides | undefined;
  readonly #sandbox: TenantExpressions | undefined;
  readonly #jobTimeoutMs: number;

  constructor(parts: UnifiedEngineParts) {
    this.#engine = parts.engine;
    this.#http = parts.http;
    this.#cursorKey = parts.cursorKey;
    this.#governor = parts.governor;
    this.#tokens = parts.tokens;
    this.#overrides = parts.overrides;
    this.#sandbox = parts.sandbox;
    this.#jobTimeoutMs = parts.jobTimeoutMs ?? 30_000;
    if (this.#overrides && !this.#sandbox) throw new Error('UnifiedEngine: overrides need a sandbox to run in');
  }

  /** The query parameters `list` of `resource` passes on as `input.filters` for this account (its overrides included). */
  filters(target: UnifiedTarget, resource: string): readonly string[] {
    return this.#resource(target, resource)?.spec.filters ?? [];
  }

  /**
   * The unified record one provider record becomes under the `map` of `operation` — resolved for the
   * account, or `mapping` instead — with nothing called or stored. Always in the tenant's sandbox: the
   * record, and often the expression, are the tenant's.
   */
  async preview(target: UnifiedTarget, resource: string, operation: 'list' | 'get', record: Record<string, unknown>, mapping?: string): Promise<Record<string, unknown>> {
    const op = this.#operation(target, resource, operation);
    const source = mapping ?? op.map;
    if (!source) throw new SwitchyardError('SWY_ERR_MAPPING_MISSING', `${target.provider.definition.slug} declares no map for ${resource}`);
    if (!this.#sandbox) throw new SwitchyardError('SWY_ERR_INTERNAL', 'previews need the expression sandbox');
    const mapped = await this.#sandbox.mappings(target.account.environment_id).evaluate(mapping ? 'preview map' : this.#name(target, resource, `${operation}.map`), source, record);
    return this.#unified(target, resource, record, mapped as Record<string, unknown> | undefined, false);
  }

  async list(target: UnifiedTarget, resource: string, input: ListInput): Promise<UnifiedAnswer<{ result: Record<string, unknown>[]; next_cursor: string | null }>> {
    const op = this.#operation(target, resource, 'list');
    const binding = { accountId: target.account.id, resource: listBinding(resource, input) };
    let state: PageState = {};
    if (input.cursor) {
      const opened = await openCursor<PageState>(input.cursor, binding, this.#cursorKey);
      if (!opened.ok) throw new SwitchyardError('SWY_ERR_CURSOR_INVALID', opened.error.detail);
      state = opened.state;
    }
    const paging = pageQuery(op.pagination, state, input.limit);
    const page = { offset: state.o ?? 0, limit: input.limit };
    const callInput = { ...input, cursor: undefined };
    const [params] = await this.#pathParams(target, op, callInput);
    const reply = await this.#call(target, op, { input: callInput, page, params, extraQuery: paging.query, url: paging.url });
    let records = await this.#records(target, op, reply, true);
    let next: PageState | undefined;
    if (op.pagination.style === 'none') {
      // The provider answers everything at once (BambooHR's directory): page it here, so `limit` holds.
      const offset = state.o ?? 0;
      next = offset + input.limit < records.length ? { o: offset + input.limit } : undefined;
      records = records.slice(offset, offset + input.limit);
    } else {
      next = await nextPageState((source) => this.#engine.evaluate(`${target.provider.definition.slug} pagination`, source, { body: reply.body, headers: reply.headers }), op.pagination, state, reply, records.length, input.limit);
    }
    if (op.tenant.has('list.map')) {
      // A tenant's map runs in its sandbox, one record after another (the sandbox serves a tenant one at a
      // time anyway): the first failure ends the call instead of leaving the rest queued behind it.
      const result: Record<string, unknown>[] = [];
      for (const record of records) result.push(await this.#toUnified(target, resource, op, record, input.include_remote_data));
      return { value: { result, next_cursor: next ? await sealCursor(next, binding, this.#cursorKey) : null }, rateLimit: reply.rateLimit };
    }
    // Compiled response mappings answer synchronously: no promise per record unless one ran on jsonata.
    // A record that fails synchronously becomes a rejection, so Promise.all still owns every pending one (none left unhandled).
    const mapped = records.map((record) => {
      try {
        return this.#toUnified(target, resource, op, record, input.include_remote_data);
      } catch (error) {
        return Promise.reject(error);
      }
    });
    const result = mapped.some((r) => r instanceof Promise) ? await Promise.all(mapped) : (mapped as Record<string, unknown>[]);
    return { value: { result, next_cursor: next ? await sealCursor(next, binding, this.#cursorKey) : null }, rateLimit: reply.rateLimit };
  }

  async get(target: UnifiedTarget, resource: string, id: string, includeRemoteData: boolean): Promise<UnifiedAnswer<Record<string, unknown>>> {
    const op = this.#operation(target, resource, 'get');
    // One call, or one per collection `path_params` names until one has the record.
    for (const params of await this.#pathParams(target, op, { id })) {
      let reply;
      try {
        reply = await this.#call(target, op, { input: { id }, id, params });
      } catch (error) {
        if (error instanceof SwitchyardError && error.code === 'SWY_ERR_NOT_FOUND') continue;
        throw error;
      }
      const [record] = await this.#records(target, op, reply, false);
      if (record !== undefined) return { value: await this.#toUnified(target, resource, op, record, includeRemoteData), rateLimit: reply.rateLimit };
    }
    throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no ${resource} '${id}' at ${target.provider.definition.slug}`);
  }

  async create(target: UnifiedTarget, resource: string, data: Record<string, unknown>, options: WriteOptions = {}): Promise<UnifiedAnswer<{ remote_id: string | null; result: Record<string, unknown> | null }>> {
    const op = this.#operation(target, resource, 'create');
    const [params] = await this.#pathParams(target, op, { data });
    const reply = await this.#write(target, op, { input: { data }, params, idempotencyKey: options.idempotencyKey });
    const remoteId = op.remote_id ? await this.#engine.evaluate(this.#name(target, resource, 'create.remote_id'), op.remote_id, { body: reply.body, headers: reply.headers }) : undefined;
    const [record] = op.map ? await this.#records(target, op, reply, false) : [];
    return {
      value: {
        remote_id: remoteId === undefined || remoteId === null ? null : String(remoteId),
        result: record === undefined ? null : await this.#toUnified(target, resource, op, record, false),
      },
      rateLimit: reply.rateLimit,
    };
  }

  async update(target: UnifiedTarget, resource: string, id: string, data: Record<string, unknown>, options: WriteOptions = {}): Promise<UnifiedAnswer<{ remote_id: string; result: Record<string, unknown> | null }>> {
    const op = this.#operation(target, resource, 'update');
    const input = { id, data, ...(await this.#prefetch(target, op, id)) };
    const [params] = await this.#pathParams(target, op, input);
    const reply = await this.#write(target, op, { input, id, params, idempotencyKey: options.idempotencyKey });
    const [record] = op.map && reply.body !== undefined && reply.body !== '' ? await this.#records(target, op, reply, false) : [];
    return { value: { remote_id: id, result: record === undefined ? null : await this.#toUnified(target, resource, op, record, false) }, rateLimit: reply.rateLimit };
  }

  async delete(target: UnifiedTarget, resource: string, id: string): Promise<UnifiedAnswer<{ remote_id: string }>> {
    const op = this.#operation(target, resource, 'delete');
    const input = { id, ...(await this.#prefetch(target, op, id)) };
    const [params] = await this.#pathParams(target, op, input);
    const reply = await this.#write(target, op, { input, id, params });
    return { value: { remote_id: id }, rateLimit: reply.rateLimit };
  }

  /**
   * `{current}` for a write that declares `prefetch: 'get'`: the record as this resource's `get` reads it
   * now, `remote_data` included (an unknown id throws `SWY_ERR_NOT_FOUND` here, before anything is written);
   * `{}` otherwise.
   */
  async #prefetch(target: UnifiedTarget, op: Operation, id: string): Promise<{ current?: Record<string, unknown> }> {
    if (op.prefetch !== 'get') return {};
    const { value } = await this.get(target, op.resource, id, true);
    return { current: value };
  }

  /** The resource as this account's calls see it: the definition, with its environment's and its own overrides. */
  #resource(target: UnifiedTarget, resource: string): { spec: ApiResource; tenant: ReadonlySet<string> } | undefined {
    if (this.#overrides) {
      const resolved = this.#overrides.resolveApi(target.provider, resource, target.account.environment_id, target.account.id);
      return resolved ? { spec: resolved.resource, tenant: resolved.tenantWritten } : undefined;
    }
    const spec = target.provider.definition.api?.resources[resource];
    return spec ? { spec, tenant: NO_TENANT_FIELDS } : undefined;
  }

  #operation(target: UnifiedTarget, resource: string, kind: OperationKind): Operation {
    const found = this.#resource(target, resource);
    const op = found?.spec[kind];
    if (!op) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${target.provider.definition.slug} offers no ${kind} of ${resource}`);
    return { ...op, kind, resource, tenant: found.tenant };
  }

  /** Who evaluates `field` of `op`: the tenant's sandbox for an expression an override wrote, the in-process engine otherwise. */
  #evaluator(target: UnifiedTarget, op: Operation, field: string): ExpressionEvaluator {
    return op.tenant.has(`${op.kind}.${field}`) ? this.#sandbox!.mappings(target.account.environment_id) : this.#engine;
  }

  #name(target: UnifiedTarget, resource: string, what: string): string {
    return `${target.provider.definition.slug}/provider.json#api.resources.${resource}.${what}`;
  }

  /**
   * The placeholder values `path_params` gives for a call, one set per collection to try (`get` may name
   * several; any other operation uses the first); `[undefined]` when the operation declares none.
   */
  async #pathParams(target: UnifiedTarget, op: Operation, input: Record<string, unknown>): Promise<Array<Record<string, unknown> | undefined>> {
    if (!op.path_params) return [undefined];
    const scope = { input, account: { id: target.account.id, config: target.account.config } };
    const given = await this.#engine.evaluate(this.#name(target, op.resource, `${op.kind}.path_params`), op.path_params, scope);
    const sets = (Array.isArray(given) ? given : [given]).filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null);
    if (sets.length === 0) throw new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${op.resource} ${op.kind}.path_params gave no placeholder values`);
    return op.kind === 'get' ? sets : sets.slice(0, 1);
  }

  /** One provider call under the account's concurrency cap (see {@link withAccountSlot}), its error answers coded. */
  async #call(target: UnifiedTarget, op: Operation, options: CallOptions): Promise<Reply> {
    return this.#checked(target, op, await withAccountSlot(this.#governor, target, () => this.#send(target, op, options)));
  }

  /**
   * A write's call: answered at once, or — when the operation declares `async` and this write runs as a
   * job — followed through the provider's job to its result, every GET under the account's cap and none
   * held while waiting. The job's answer may be a refusal that points to the job (a reused key), so the
   * write's own answer is coded only when it names no job.
   */
  async #write(target: UnifiedTarget, op: Operation, options: CallOptions): Promise<Reply> {
    const job = op.async && (op.async.when === 'always' || options.idempotencyKey) ? op.async : undefined;
    if (!job) return this.#call(target, op, options);
    const answer = await withAccountSlot(this.#governor, target, () => this.#send(target, op, { ...options, extraHeaders: job.headers }));
    const follow: Operation = { method: 'GET', path: op.path, headers: {}, pagination: { style: 'none' }, kind: op.kind, resource: op.resource, tenant: NO_TENANT_FIELDS };
    const result = await followAsyncJob(job, answer, {
      evaluate: (field, source, view) => this.#engine.evaluate(this.#name(target, op.resource, `${op.kind}.async.${field}`), source, view),
      get: (url) => this.#call(target, { ...follow, kind: 'get' }, { input: {}, url }),
      // The result is the write's answer: its refusal is the write's (a 400 is REFUSED, not a failed read).
      result: async (url) => this.#checked(target, op, await withAccountSlot(this.#governor, target, () => this.#send(target, follow, { input: {}, url }))),
    }, this.#jobTimeoutMs);
    return result ?? this.#checked(target, op, answer);
  }

  /** Sends one call and parses its answer; a throttled answer throws {@link ProviderThrottled}. */
  async #send(target: UnifiedTarget, op: Operation, options: CallOptions): Promise<Reply> {
    const api = target.provider.definition.api!;
    const slug = target.provider.definition.slug;
    const base = baseUrlFor(api.base_url, target.account.config);
    const scope = { input: options.input, page: options.page, account: { id: target.account.id, config: target.account.config } };
    // Next-page URLs may be relative to the provider (Salesforce's nextRecordsUrl is a path).
    const url = new URL(options.url ?? `${base}${renderTemplate(op.path, { config: target.account.config, id: options.id, params: options.params })}`, `${base}/`);
    if (options.url && url.origin !== new URL(base).origin) throw new SwitchyardError('SWY_ERR_PROVIDER_ERROR', 'a URL the provider gave (next page, job) points outside the provider');
    const query = op.query && !options.url ? ((await this.#evaluator(target, op, 'query').evaluate(`${slug} query`, op.query, scope)) as Record<string, unknown> | undefined) : undefined;
    for (const [key, value] of Object.entries({ ...(query ?? {}), ...(options.extraQuery ?? {}) })) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    }
    const body = op.body ? JSON.stringify(await this.#evaluator(target, op, 'body').evaluate(`${slug} body`, op.body, scope)) : undefined;
    const providerKey = options.idempotencyKey ? providerIdempotencyKey(target.account.id, { method: op.method, path: op.path, id: options.id, body }, options.idempotencyKey) : undefined;
    if (providerKey && op.idempotency_param) url.searchParams.set(op.idempotency_param, providerKey);
    const declared = renderHeaders(op.headers, { config: target.account.config, input: options.input, id: options.id });
    const headers: Record<string, string> = { accept: 'application/json', ...declared, ...options.extraHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    if (providerKey && op.idempotency_header) headers[op.idempotency_header.toLowerCase()] = providerKey;
    const authed = authorizedUrl(api.auth, target.credentials, url.toString());
    const send = (accessToken: string | undefined) =>
      this.#http.send({ method: op.method, url: authed, headers: { ...headers, ...authorize(api.auth, target.credentials, { method: op.method, url: authed }, accessToken) }, body, trace: target.trace, provider: slug });
    const reply = await callWithAccessToken(this.#tokens, api.auth, target.account, target.credentials, { send, status: (r) => r.status, resendable: true });
    const text = reply.body.toString('utf8');
    let parsed: unknown = text;
    if (/json/.test(reply.headers['content-type'] ?? '') || /^[[{]/.test(text.trim())) {
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const rateLimit = normalizeRateLimit(api.rate_limits, { status: reply.status, headers: reply.headers, body: parsed });
    if (rateLimit.throttled) throw new ProviderThrottled(slug, rateLimit);
    return { status: reply.status, headers: reply.headers, body: parsed, rateLimit };
  }

  /** The answer of a call, or the coded error its status means (not found, refused credentials, a refusal). */
  async #checked(target: UnifiedTarget, op: Operation, reply: Reply): Promise<Reply> {
    const api = target.provider.definition.api!;
    const slug = target.provider.definition.slug;
    if (reply.status === 404 || (op.kind !== 'create' && op.kind !== 'list' && op.not_found_statuses?.includes(reply.status))) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `${slug} has no such record`);
    if (reply.status === 401 || reply.status === 403) throw new SwitchyardError('SWY_ERR_PROVIDER_UNAUTHORIZED', `${slug} answered ${reply.status}`, { extensions: { provider_status: reply.status } });
    if (reply.status >= 400) throw await providerFailure(this.#engine, { slug, method: op.method, errorMessage: api.error_message }, reply);
    return reply;
  }

  async #records(target: UnifiedTarget, op: Operation, reply: { body: unknown; headers: Record<string, string> }, many: boolean): Promise<Record<string, unknown>[]> {
    const picked = op.records ? await this.#evaluator(target, op, 'records').evaluate(`${target.provider.definition.slug} records`, op.records, { body: reply.body, headers: reply.headers }) : reply.body;
    const list = picked === undefined || picked === null ? [] : Array.isArray(picked) ? picked : [picked];
    if (!many && list.length > 1) throw new SwitchyardError('SWY_ERR_PROVIDER_ERROR', 'expected one record');
    return list as Record<string, unknown>[];
  }

  /** A provider record in the unified model: mapped, given its stable id, validated, raw object on request; synchronous when the response mapping ran compiled. */
  #toUnified(target: UnifiedTarget, resource: string, op: Operation, record: Record<string, unknown>, includeRemoteData: boolean): Record<string, unknown> | Promise<Record<string, unknown>> {
    if (!op.map) throw new SwitchyardError('SWY_ERR_MAPPING_MISSING', `${target.provider.definition.slug} declares no map for ${resource}`);
    const mapped = op.tenant.has(`${op.kind}.map`)
      ? this.#evaluator(target, op, 'map').evaluate(`${target.provider.definition.slug} ${resource} ${op.kind}.map (override)`, op.map, record)
      : this.#engine.evaluateNow(this.#name(target, resource, 'map'), op.map, record);
    if (mapped instanceof Promise) return mapped.then((value) => this.#unified(target, resource, record, value as Record<string, unknown> | undefined, includeRemoteData));
    return this.#unified(target, resource, record, mapped as Record<string, unknown> | undefined, includeRemoteData);
  }

  #unified(target: UnifiedTarget, resource: string, record: Record<string, unknown>, mapped: Record<string, unknown> | undefined, includeRemoteData: boolean): Record<string, unknown> {
    if (!mapped || mapped.remote_id === undefined || mapped.remote_id === null) throw new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${resource} map gave no remote_id`);
    const data: Record<string, unknown> = { ...mapped, remote_id: String(mapped.remote_id), id: deterministicId('rec', [target.account.id, resource, String(mapped.remote_id)]) };
    if (includeRemoteData) data.remote_data = record;
    // zod only when the precompiled check cannot vouch for the record (~3 µs per record otherwise).
    const valid = UNIFIED_MODEL_CHECKS[resource]?.(data) ? undefined : UNIFIED_MODELS[resource]?.safeParse(data);
    if (valid && !valid.success) {
      throw new SwitchyardError('SWY_ERR_EVENT_INVALID', `${resource} record ${String(mapped.remote_id)}: ${valid.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return data;
  }

}
