/**
 * @switchyard/provider-auth — how the hub proves itself to providers: OAuth 1.0a signing, OAuth2
 * token endpoints and the refresh manager (single flight under a cluster-wide KV lock), token
 * storage, and the signed state of the OAuth connect flow. Imports the bus (KV locks) and the kernel.
 */
export { ConnectStates, type ConnectState, type ConsumedState, type IssuedState } from './connect-state.js';
export {
  baseStringUri,
  percentEncode,
  signatureBaseString,
  signOAuth1,
  type OAuth1Credentials,
  type OAuth1Options,
  type OAuth1Request,
  type OAuth1Signature,
  type OAuth1SignatureMethod,
} from './oauth1.js';
export {
  refreshLockKey,
  TokenManager,
  type AccessTokenFailure,
  type AccessTokenResult,
  type TokenManagerOptions,
  type WithTokenResult,
} from './oauth2-refresh.js';
export { clientCredentialsGrant, refreshGrant, type OAuth2ClientConfig, type RefreshGrantOptions, type RefreshGrantResult } from './token-endpoint.js';
export { KvTokenStore, type OAuth2TokenSet, type StoredTokenSet, type TokenStore } from './token-store.js';
