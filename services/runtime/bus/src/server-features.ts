import { SwitchyardError } from '@switchyard/contracts';

/** The oldest nats-server we support (Debian bookworm ships 2.9.10). */
export const NATS_SERVER_FLOOR = '2.9.4';

/**
 * JetStream features the services use, with the server version each needs. Checked at start-up
 * so an old server fails with a clear message instead of an obscure API error later.
 */
export const FEATURE_TABLE = [
  { feature: 'JetStream streams, KV buckets, pull consumers', minimum: '2.9.4', required: true },
  { feature: 'nak with delay (delivery retry schedule)', minimum: '2.7.1', required: true },
  { feature: 'consumer create API with filter subject', minimum: '2.9.0', required: true },
  { feature: 'multiple filter subjects per consumer (unused, optional)', minimum: '2.10.0', required: false },
  // Older servers ignore `+TERM <reason>` entirely (the message is redelivered): `terminate()` sends a bare +TERM.
  { feature: 'term with a reason (unused: terminate() sends a bare term on every version)', minimum: '2.10.0', required: false },
] as const;

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Throws a coded error naming each required feature the server lacks; returns the optional features
 * that are unavailable (callers log them).
 */
export function checkServerFeatures(version: string, jetstream: boolean): string[] {
  if (!jetstream) {
    throw new SwitchyardError('SWY_ERR_NATS_SERVER_TOO_OLD', `nats-server ${version} has JetStream disabled; start it with -js`);
  }
  const missing = FEATURE_TABLE.filter((f) => f.required && compareVersions(version, f.minimum) < 0);
  if (missing.length > 0) {
    throw new SwitchyardError(
      'SWY_ERR_NATS_SERVER_TOO_OLD',
      `nats-server ${version} is older than ${NATS_SERVER_FLOOR}; missing: ${missing.map((f) => `${f.feature} (${f.minimum})`).join(', ')}`,
    );
  }
  return FEATURE_TABLE.filter((f) => !f.required && compareVersions(version, f.minimum) < 0).map((f) => f.feature);
}
