/**
 * The one registry of coded errors. Every error a user can see (HTTP problem+json bodies, dead-letter
 * records, start-up failures) carries one of these codes. Codes are stable: clients may branch on them.
 */
export const ERRORS = {
  SWY_ERR_CONFIG_INVALID: { status: 500, title: 'Invalid configuration' },
  SWY_ERR_NATS_SERVER_TOO_OLD: { status: 500, title: 'nats-server is older than the supported floor' },
  SWY_ERR_NATS_SERVER_MISSING: { status: 500, title: 'nats-server was not found' },
  SWY_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  SWY_ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  SWY_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'The route does not take this method' },
  SWY_ERR_UNAUTHORIZED: { status: 401, title: 'Missing or invalid credentials' },
  SWY_ERR_VALIDATION: { status: 400, title: 'Request body or parameters are invalid' },
  SWY_ERR_NOT_FOUND: { status: 404, title: 'Resource not found' },
  SWY_ERR_PROVIDER_UNKNOWN: { status: 404, title: 'Unknown provider' },
  SWY_ERR_PROVIDER_NO_WEBHOOKS: { status: 404, title: 'Provider does not receive webhooks' },
  SWY_ERR_ACCOUNT_UNKNOWN: { status: 404, title: 'Unknown integrated account' },
  SWY_ERR_ACCOUNT_DISABLED: { status: 403, title: 'Integrated account is disabled' },
  SWY_ERR_WEBHOOK_SECRET_UNSET: { status: 401, title: 'The account has no webhook secret to verify with' },
  SWY_ERR_SIGNATURE_MISSING: { status: 401, title: 'Signature header missing' },
  SWY_ERR_SIGNATURE_MISMATCH: { status: 401, title: 'Signature does not match' },
  SWY_ERR_TIMESTAMP_MISSING: { status: 401, title: 'Timestamp missing' },
  SWY_ERR_TIMESTAMP_INVALID: { status: 401, title: 'Timestamp is not a number' },
  SWY_ERR_TIMESTAMP_SKEW: { status: 401, title: 'Timestamp outside the tolerance window' },
  SWY_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'Body exceeds the size limit' },
  SWY_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  SWY_ERR_BODY_MALFORMED: { status: 400, title: 'Body could not be parsed' },
  SWY_ERR_BUS_UNAVAILABLE: { status: 503, title: 'Event bus unavailable, retry later' },
  SWY_ERR_BODY_UNPARSABLE: { status: 422, title: 'Verified body could not be parsed for mapping' },
  SWY_ERR_MAPPING_MISSING: { status: 422, title: 'No mapping for this provider or operation' },
  SWY_ERR_MAPPING_FAILED: { status: 422, title: 'Mapping expression failed' },
  SWY_ERR_MAPPING_TIMEOUT: { status: 422, title: 'Mapping expression exceeded its time, depth or memory budget' },
  SWY_ERR_MAPPING_BUSY: { status: 429, title: 'Too many expressions of this environment are waiting to be evaluated' },
  SWY_ERR_EVENT_INVALID: { status: 422, title: 'Mapped event does not match the unified schema' },
  SWY_ERR_EGRESS_DENIED: { status: 422, title: 'Destination refused by the egress policy' },
  SWY_ERR_DELIVERY_EXHAUSTED: { status: 502, title: 'Delivery attempts exhausted' },
  SWY_ERR_PROVIDER_APP_UNKNOWN: { status: 404, title: 'Unknown provider app' },
  SWY_ERR_NO_APP_ROUTING: { status: 404, title: 'Provider does not route app-level webhooks' },
  SWY_ERR_REMOTE_KEY_TAKEN: { status: 409, title: 'Another account of this provider app has this remote key' },
  SWY_ERR_HANDSHAKE_FAILED: { status: 500, title: 'Handshake reply could not be built' },
  SWY_ERR_RESOURCE_UNSUPPORTED: { status: 404, title: 'The provider does not offer this unified resource or operation' },
  SWY_ERR_ACCOUNT_CONFIG_MISSING: { status: 422, title: "The integrated account's config lacks a value the provider needs" },
  SWY_ERR_CREDENTIALS_MISSING: { status: 422, title: "The integrated account's credentials lack a value the provider needs" },
  SWY_ERR_PROVIDER_ERROR: { status: 502, title: 'The provider answered with an error' },
  SWY_ERR_PROVIDER_REFUSED: { status: 422, title: 'The provider refused the record as sent' },
  SWY_ERR_PROVIDER_UNREACHABLE: { status: 502, title: 'The provider could not be reached' },
  SWY_ERR_PROVIDER_UNAUTHORIZED: { status: 502, title: "The provider refused the account's credentials" },
  SWY_ERR_PROVIDER_JOB_TIMEOUT: { status: 504, title: 'The provider had not finished the write in time; retry with the same Idempotency-Key' },
  SWY_ERR_ACCOUNT_NEEDS_REAUTH: { status: 409, title: 'The integrated account must be reconnected: the provider refused its refresh token' },
  SWY_ERR_CONNECT_STATE_INVALID: { status: 400, title: 'OAuth connect state is invalid or expired' },
  SWY_ERR_CONNECT_FAILED: { status: 502, title: 'The provider did not grant access' },
  SWY_ERR_CURSOR_INVALID: { status: 400, title: 'Cursor is invalid, expired, or belongs to another account or resource' },
  SWY_ERR_PROVIDER_RATE_LIMITED: { status: 429, title: 'The provider is rate limiting this account' },
  SWY_ERR_IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  SWY_ERR_IDEMPOTENCY_MISMATCH: { status: 422, title: 'This Idempotency-Key was used with a different request' },
  SWY_ERR_ENDPOINT_DISABLED: { status: 409, title: 'The endpoint is disabled' },
  SWY_ERR_EVENT_NOT_FOUND: { status: 404, title: 'Event not found in the retention window' },
  SWY_ERR_APP_SECRET_UNSET: { status: 401, title: 'The provider app has no secret to verify with' },
  SWY_ERR_TOKEN_MISSING: { status: 401, title: 'Webhook token or credentials missing' },
  SWY_ERR_TOKEN_INVALID: { status: 401, title: 'Webhook token or credentials invalid' },
  SWY_ERR_IP_NOT_ALLOWED: { status: 403, title: 'Sender address is not in the allow-list' },
  SWY_ERR_JWKS_UNAVAILABLE: { status: 503, title: 'Provider signing keys could not be fetched, retry later' },
  // Edge hardening (issue 11, H1): verify first, bounded bodies, explicit secret capture, replay keys.
  SWY_ERR_HANDSHAKE_TOO_LARGE: { status: 413, title: 'Unsigned handshake body exceeds its size budget' },
  SWY_ERR_BODY_TOO_DEEP: { status: 400, title: 'JSON body is nested too deeply' },
  SWY_ERR_CAPTURE_CLOSED: { status: 403, title: 'No verification window is open for this account' },
  SWY_ERR_CAPTURE_CONFLICT: { status: 409, title: 'Another token is already pending for this account' },
  SWY_ERR_CAPTURE_MISMATCH: { status: 422, title: 'The confirmed token is not the pending one' },
  // Hardening, tenant management (issue 11, H4)
  SWY_ERR_API_KEY_LAST: { status: 409, title: 'An environment keeps at least one valid API key' },
  SWY_ERR_REPLAY_LIMIT: { status: 429, title: 'Too many replays of this environment are running' },
  SWY_ERR_CONNECT_STATE_USED: { status: 400, title: 'The connect state was already used' },
  SWY_ERR_ACCOUNT_CONTENDED: { status: 409, title: 'The integrated account changed repeatedly while this change was applied; retry' },
  // Provider webhook registration (issue 13, docs/registration.md)
  SWY_ERR_REGISTRATION_UNSUPPORTED: { status: 404, title: 'The provider declares no webhook registration' },
  SWY_ERR_REGISTRATION_REFUSED: { status: 502, title: 'The provider refused to register the webhook' },
  SWY_ERR_REGISTRATION_ANSWER_INVALID: { status: 502, title: "The provider's answer to a registration call could not be read" },
  SWY_ERR_REGISTRATION_URL_REFUSED: { status: 422, title: 'The provider refused the webhook URL (not public, not HTTPS, or not reachable)' },
  SWY_ERR_REGISTRATION_LIMIT: { status: 409, title: "The provider's limit on webhooks is reached" },
  SWY_ERR_REGISTRATION_VERIFICATION_PENDING: { status: 409, title: 'The provider has not sent its verification token yet' },
  SWY_ERR_POLL_ANSWER_INVALID: { status: 502, title: "The provider's answer to a poll call could not be read" },
  SWY_ERR_POLL_PROVIDER_FAULT: { status: 502, title: 'The provider answered a poll call with a fault' },
  SWY_ERR_POLL_LOCK_LOST: { status: 409, title: "Another replica took over this account's poll" },
  SWY_ERR_POLLING_NONE: { status: 409, title: 'The account polls nothing (its provider is not polled, or reconciliation is not enabled for it)' },
  // Streamed export (issue 16, docs/export.md): reported in-band on the NDJSON stream, with a resume cursor.
  SWY_ERR_EXPORT_LIMIT: { status: 409, title: 'The export reached its page or time bound; resume from its cursor' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable error code such as `SWY_ERR_SIGNATURE_MISMATCH`. */
export type ErrorCode = keyof typeof ERRORS;

/**
 * An error that carries a registry code. Thrown by services and rendered as RFC 9457 problem+json
 * by the HTTP layer; `detail` is shown to the caller, so it must never contain secrets or bodies.
 */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  /** Extra members for the problem body (e.g. `errors` for validation failures). */
  readonly extensions: Record<string, unknown>;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; extensions?: Record<string, unknown> }) {
    const entry = ERRORS[code];
    super(detail ? `${entry.title}: ${detail}` : entry.title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = entry.status;
    this.detail = detail ?? entry.title;
    this.extensions = options?.extensions ?? {};
  }
}

/** RFC 9457 problem details body, with our `code` member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  [extension: string]: unknown;
}

/** Renders an error as a problem+json body. The `type` URI points at the error-code docs. */
export function toProblem(error: SwitchyardError): Problem {
  return {
    ...error.extensions,
    // A URN: stable and honest (no page to resolve); docs/errors.md explains each code.
    type: `urn:switchyard:error:${error.code.toLowerCase()}`,
    title: ERRORS[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.detail,
  };
}
