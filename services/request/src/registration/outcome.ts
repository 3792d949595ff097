import { type ApiRegistration, type ErrorCode, SwitchyardError } from '@switchyard/contracts';
import type { MappingEngine } from '@switchyard/mapping';
import { ProviderThrottled, type RegistrationAnswer } from '@switchyard/provider-client';
import type { RegistrationFailure } from './store.js';

/** A registration step that failed, with the code the state shows and how long to wait before the next try. */
export class RegistrationFailed extends SwitchyardError {
  readonly providerStatus: number | null;
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, detail: string, options: { providerStatus?: number | null; retryAfterMs?: number | undefined; cause?: unknown } = {}) {
    super(code, detail, { cause: options.cause, extensions: options.providerStatus ? { provider_status: options.providerStatus } : {} });
    this.providerStatus = options.providerStatus ?? null;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Checks a provider's answer to a registration call and returns it when it is a success. A throttled
 * answer, a refused URL, a reached limit, any other 4xx/5xx and a 2xx whose body does not parse each
 * become a {@link RegistrationFailed} with its own code; `allow` lists statuses the caller handles
 * itself (404 on read or renew means "gone at the provider").
 */
export async function expectSuccess(
  engine: MappingEngine,
  provider: string,
  registration: ApiRegistration,
  what: string,
  answer: RegistrationAnswer,
  allow: number[] = [],
): Promise<RegistrationAnswer> {
  if (answer.rateLimit.throttled) {
    throw new RegistrationFailed('SWY_ERR_PROVIDER_RATE_LIMITED', `${provider} is rate limiting ${what}`, {
      providerStatus: answer.status,
      retryAfterMs: answer.rateLimit.retryAfterS === undefined ? undefined : answer.rateLimit.retryAfterS * 1000,
    });
  }
  if (allow.includes(answer.status)) return answer;
  if (answer.status >= 400) {
    const view = { status: answer.status, body: answer.body };
    const refused = async (kind: 'url' | 'limit') => {
      const expression = registration.refusals[kind];
      return expression ? Boolean(await engine.evaluate(`${provider}/provider.json#registration.refusals.${kind}`, expression, view).catch(() => false)) : false;
    };
    const status = { providerStatus: answer.status };
    if (await refused('url')) throw new RegistrationFailed('SWY_ERR_REGISTRATION_URL_REFUSED', `${provider} refused the webhook URL on ${what} (${answer.status})`, status);
    if (await refused('limit')) throw new RegistrationFailed('SWY_ERR_REGISTRATION_LIMIT', `${provider} allows no more webhooks (${what} answered ${answer.status})`, status);
    if (answer.status === 401 || answer.status === 403) throw new RegistrationFailed('SWY_ERR_PROVIDER_UNAUTHORIZED', `${provider} refused the account's credentials on ${what} (${answer.status})`, status);
    throw new RegistrationFailed('SWY_ERR_REGISTRATION_REFUSED', `${provider} answered ${answer.status} to ${what}`, status);
  }
  if (answer.malformed) throw new RegistrationFailed('SWY_ERR_REGISTRATION_ANSWER_INVALID', `${provider} answered ${what} with a body that is not JSON`, { providerStatus: answer.status });
  return answer;
}

/** Evaluates one `answer.<field>` expression; a required field that is missing or not a string/number is a coded error. */
export async function readAnswer(engine: MappingEngine, provider: string, field: string, expression: string, answer: RegistrationAnswer, required: boolean, where = `answer.${field}`): Promise<string | undefined> {
  let value: unknown;
  try {
    value = await engine.evaluate(`${provider}/provider.json#registration.${where}`, expression, { body: answer.body, headers: answer.headers });
  } catch (cause) {
    throw new RegistrationFailed('SWY_ERR_REGISTRATION_ANSWER_INVALID', `${provider}: ${where} could not be read`, { providerStatus: answer.status, cause });
  }
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  if (required) throw new RegistrationFailed('SWY_ERR_REGISTRATION_ANSWER_INVALID', `${provider}'s answer has no ${field}`, { providerStatus: answer.status });
  return undefined;
}

/** Any error of a registration step as the failure the state shows (never a body or a secret). */
export function failureOf(error: unknown, nowIso: string): { failure: RegistrationFailure; retryAfterMs: number | undefined } {
  if (error instanceof RegistrationFailed) {
    return { failure: { code: error.code, detail: error.detail, at: nowIso, provider_status: error.providerStatus }, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof ProviderThrottled) {
    const after = error.rateLimit.retryAfterS;
    return { failure: { code: error.code, detail: error.detail, at: nowIso, provider_status: null }, retryAfterMs: after === undefined ? undefined : after * 1000 };
  }
  if (error instanceof SwitchyardError) {
    const status = error.extensions.provider_status;
    return { failure: { code: error.code, detail: error.detail, at: nowIso, provider_status: typeof status === 'number' ? status : null }, retryAfterMs: undefined };
  }
  return { failure: { code: 'SWY_ERR_INTERNAL', detail: 'registration step failed unexpectedly', at: nowIso, provider_status: null }, retryAfterMs: undefined };
}
