import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';

/** The typed client: `client.GET('/v1/subscriptions')`, `client.POST('/v1/subscriptions', { body })`, … */
export type SwitchyardClient = Client<paths>;

/** An RFC 9457 problem as the hub answers it, with its `SWY_ERR_` code. */
export type Problem = components['schemas']['Problem'];

/** Options of {@link createSwitchyardClient}. */
export interface SwitchyardClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The hub's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An environment API key (`/v1`, `/unified`) or the admin token (`POST /v1/environments`). */
  token: string;
}

/**
 * A client for the Switchyard API whose paths, parameters, bodies and answers are typed from the hub's
 * own OpenAPI document (`clients/typescript/openapi.json`, the same document `GET /openapi.json` serves),
 * so a route or shape that changes without the document changing fails to compile here.
 */
export function createSwitchyardClient(options: SwitchyardClientOptions): SwitchyardClient {
  const { token, headers, ...rest } = options;
  return createClient<paths>({ ...rest, headers: { ...(headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
}

/** A call that answered a problem: its status, `SWY_ERR_` code and detail. */
export class SwitchyardApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Partial<Problem>;

  constructor(status: number, problem: Partial<Problem> | undefined) {
    super(`${problem?.code ?? `HTTP ${status}`}: ${problem?.detail ?? problem?.title ?? 'request failed'}`);
    this.name = 'SwitchyardApiError';
    this.status = status;
    this.code = problem?.code ?? 'SWY_ERR_HTTP';
    this.problem = problem ?? {};
  }
}

/**
 * The data of a successful call, or a {@link SwitchyardApiError} thrown with the problem's code:
 * `const sub = ok(await client.POST('/v1/subscriptions', { body }))`.
 */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): Exclude<T, undefined> {
  if (result.error !== undefined || !result.response.ok) throw new SwitchyardApiError(result.response.status, result.error as Partial<Problem> | undefined);
  return result.data as Exclude<T, undefined>;
}
