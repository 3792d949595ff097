import { jwtVerify, SignJWT } from 'jose';
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

const ISSUER = 'switchyard:connect';

/**
 * Signs and checks the `state` of the OAuth authorization-code flow: an HS256 JWT under a key derived
 * from the encryption key, valid 10 minutes, bound to the environment, provider, app and return URL.
 * A state that was altered, expired, or made for another purpose is refused.
 */
export class ConnectStates {
  readonly #keys: Uint8Array[];

  constructor(vault: Vault) {
    this.#keys = vault.derive('connect-state');
  }

  async sign(state: ConnectState, ttlS = 600): Promise<string> {
    return new SignJWT({ ...state }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setIssuedAt().setExpirationTime(`${ttlS}s`).setJti(crypto.randomUUID()).sign(this.#keys[0]!);
  }

  async verify(token: string): Promise<ConnectState> {
    for (const key of this.#keys) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
        const { environment_id, provider, provider_app_id, redirect_uri } = payload as unknown as ConnectState;
        if ([environment_id, provider, provider_app_id, redirect_uri].every((v) => typeof v === 'string')) return { environment_id, provider, provider_app_id, redirect_uri };
      } catch {
        // try the next key (rotation), then refuse
      }
    }
    throw new SwitchyardError('SWY_ERR_CONNECT_STATE_INVALID', 'the connect link expired or was altered; start again');
  }
}
