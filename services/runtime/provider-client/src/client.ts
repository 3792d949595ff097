import type { Bus } from '@switchyard/bus';
import type { EgressPolicy, Logger, Vault } from '@switchyard/kernel';
import type { MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { AccountStore, ProviderAppStore } from '@switchyard/stores';
import { cursorKey } from './cursor/index.js';
import { ConcurrencyGovernor } from './governor.js';
import { ProviderHttp } from './http.js';
import { OAuth2Tokens } from './oauth2-tokens.js';
import { RegistrationCalls } from './registration-calls.js';
import { UnifiedEngine, type ApiOverrides, type TenantExpressions } from './unified.js';

/** What {@link openProviderClient} builds on. */
export interface ProviderClientOptions {
  bus: Bus;
  vault: Vault;
  egress: EgressPolicy;
  engine: MappingEngine;
  catalog: ProviderCatalog;
  accounts: AccountStore;
  providerApps: ProviderAppStore;
  logger: Logger;
  /** Base URL providers call, without trailing slash (named in `integrated_account:needs_reauth`). */
  publicUrl: string;
  /** Timeout of one provider API call, in ms. */
  timeoutMs: number;
  /** How long a write waits for a provider job to finish, in ms (default 30 s). */
  jobTimeoutMs?: number | undefined;
  /** An HTTP pool to share (the owner closes it); without it the client opens and closes its own. */
  http?: ProviderHttp | undefined;
  /** Tenants' API mapping overrides (the mapping store), applied to every unified call. */
  overrides?: ApiOverrides | undefined;
  /** Where overridden expressions and API previews run. */
  sandbox?: TenantExpressions | undefined;
}

/** Everything that calls provider APIs with an account's credentials, built once per process. */
export interface ProviderClient {
  /** Outbound HTTP to providers, egress-checked, one keep-alive pool per origin. */
  readonly http: ProviderHttp;
  /** OAuth2 access tokens, refreshed ahead of expiry under a cluster-wide lock. */
  readonly tokens: OAuth2Tokens;
  /** Per-account concurrency caps, shared by every process through KV. */
  readonly governor: ConcurrencyGovernor;
  /** Unified reads and writes (the request service's `/unified`, the normalizer's enrichment). */
  readonly unified: UnifiedEngine;
  /** Calls that manage the hub's webhook at a provider (the definition's `registration` section). */
  readonly registration: RegistrationCalls;
  /** Closes the HTTP pool it opened (in-flight calls finish). */
  close(): Promise<void>;
}

/**
 * Wires the provider client: one HTTP pool that OAuth2 token endpoints share (so the egress policy
 * covers them too), the token manager, the concurrency governor and the unified engine, whose
 * pagination cursors are sealed with a key derived from the vault's.
 */
export function openProviderClient(options: ProviderClientOptions): ProviderClient {
  const http = options.http ?? new ProviderHttp(options.egress, { timeoutMs: options.timeoutMs });
  const tokens = new OAuth2Tokens({
    bus: options.bus,
    vault: options.vault,
    catalog: options.catalog,
    accounts: async () => options.accounts,
    providerApps: async () => options.providerApps,
    logger: options.logger,
    publicUrl: options.publicUrl,
    dispatcher: http.agent,
  });
  // Leases outlive a provider call's timeout, so only a crashed holder's slot ever expires.
  const governor = new ConcurrencyGovernor(options.bus.kv.locks, { leaseMs: options.timeoutMs + 30_000 });
  const unified = new UnifiedEngine({
    engine: options.engine,
    http,
    cursorKey: cursorKey(options.vault.derive('cursor')),
    governor,
    tokens,
    overrides: options.overrides,
    sandbox: options.sandbox,
    jobTimeoutMs: options.jobTimeoutMs,
  });
  const registration = new RegistrationCalls({ engine: options.engine, http, governor, tokens });
  return { http, tokens, governor, unified, registration, close: async () => (options.http ? undefined : http.close()) };
}
