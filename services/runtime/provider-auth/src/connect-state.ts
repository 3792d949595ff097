import { createHash, randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { jwtVerify, SignJWT } from 'jose';
import { isCasConflict } from '@switchyard/bus';
import { SwitchyardError } from '@switchyard/contracts';
import type { Vault } from '@switchyard/kernel';

/** What an OAuth connect flow carries through the provider's consent screen. */
export interface ConnectState {
  environment_id: string;
  provider: string;
  provider_app_id: string;
  /** Where to send the end user back to, given by the customer when the flow started. */
  redirect_uri: string;
}

/** A state handed out: the token for the authorize URL and, with PKCE, the S256 `code_challenge`. */
export interface IssuedState {
  token: string;
  codeChallenge?: string;
}

/** A state taken back at the callback: what it carries and, with PKCE, the verifier for the token exchange. */
export interface ConsumedState {
  state: ConnectState;
  codeVerifier?: string;
}

/** The server-side half of a state: its PKCE verifier, if any (sealed; the JWT itself is readable). */
interface Pending {
  code_verifier?: string;
}

const ISSUER = 'switchyard:connect';
const pendingKey = (jti: string) => `connect-state.${jti}`;

/**
 * Issues and takes back the `state` of the OAuth authorization-code flow: an HS256 JWT under a key
 * derived from the encryption key, valid 10 minutes, bound to the environment, provider, app and return
 * URL, and single-use: issuing writes a pending record (holding the PKCE verifier, sealed) and the
 * callback deletes it with a compare-and-set on its revision, so a state replayed, even concurrently,
 * is refused with `SWY_ERR_CONNECT_STATE_USED`. The verifier never leaves the hub except to the
 * provider's token endpoint.
 */
export class ConnectStates {
  readonly #keys: Uint8Array[];
  readonly #vault: Vault;
  readonly #pending: KV;

  /** @param pending a bucket with a TTL longer than a state's life (the `jobs` bucket, 24 h). */
  constructor(vault: Vault, pending: KV) {
    this.#keys = vault.derive('connect-state');
    this.#vault = vault;
    this.#pending = pending;
  }

  /** Issues a state; with `pkce` also a fresh S256 verifier, kept here, and its challenge for the authorize URL. */
  async issue(state: ConnectState, options: { pkce: boolean; ttlS?: number }): Promise<IssuedState> {
    const jti = crypto.randomUUID();
    const codeVerifier = options.pkce ? randomBytes(32).toString('base64url') : undefined;
    const pending: Pending = codeVerifier ? { code_verifier: codeVerifier } : {};
    await this.#pending.create(pendingKey(jti), JSON.stringify(this.#vault.sealJson(pending, pendingKey(jti))));
    const token = await new SignJWT({ ...state })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlS ?? 600}s`)
      .setJti(jti)
      .sign(this.#keys[0]!);
    return codeVerifier ? { token, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') } : { token };
  }

  /** Checks a state and uses it up: a second call with the same token throws `SWY_ERR_CONNECT_STATE_USED`. */
  async consume(token: string): Promise<ConsumedState> {
    const { state, jti } = await this.#verify(token);
    const used = () => new SwitchyardError('SWY_ERR_CONNECT_STATE_USED', 'this connect link was already used; start again');
    const entry = await this.#pending.get(pendingKey(jti));
    if (!entry || entry.operation !== 'PUT') throw used();
    try {
      await this.#pending.delete(pendingKey(jti), { previousSeq: entry.revision });
    } catch (error) {
      if (isCasConflict(error)) throw used();
      throw error;
    }
    const pending = this.#vault.openJson<Pending>(entry.json(), pendingKey(jti));
    return pending.code_verifier ? { state, codeVerifier: pending.code_verifier } : { state };
  }

  async #verify(token: string): Promise<{ state: ConnectState; jti: string }> {
    for (const key of this.#keys) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
        const { environment_id, provider, provider_app_id, redirect_uri } = payload as unknown as ConnectState;
        if ([environment_id, provider, provider_app_id, redirect_uri, payload.jti].every((v) => typeof v === 'string')) {
          return { state: { environment_id, provider, provider_app_id, redirect_uri }, jti: payload.jti! };
        }
      } catch {
        // try the next key (rotation), then refuse
      }
    }
    throw new SwitchyardError('SWY_ERR_CONNECT_STATE_INVALID', 'the connect link expired or was altered; start again');
  }
}
