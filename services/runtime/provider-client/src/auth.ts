import { SwitchyardError, type ApiAuth } from '@switchyard/contracts';
import { signOAuth1 } from '@switchyard/provider-auth';

const need = (credentials: Record<string, unknown>, ...names: string[]): string[] =>
  names.map((name) => {
    const value = credentials[name];
    if (typeof value !== 'string' || value === '') throw new SwitchyardError('SWY_ERR_CREDENTIALS_MISSING', `the account's credentials lack '${name}'`);
    return value;
  });

/**
 * The headers that authenticate one provider call, from the declared auth type and the account's
 * decrypted credentials. OAuth 1.0a signs this exact method and URL, so call it per request.
 * `accessToken` is passed for OAuth2 when a token manager supplies a fresher one than the credentials.
 */
export function authorize(auth: ApiAuth, credentials: Record<string, unknown>, request: { method: string; url: string }, accessToken?: string): Record<string, string> {
  switch (auth.type) {
    case 'basic_api_key': {
      const [key] = need(credentials, 'api_key');
      return { authorization: `Basic ${Buffer.from(`${key}:${auth.password}`).toString('base64')}` };
    }
    case 'basic': {
      const [user, password] = need(credentials, 'username', 'password');
      return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
    }
    case 'api_key_header': {
      const [key] = need(credentials, 'api_key');
      return { [auth.header.toLowerCase()]: `${auth.prefix}${key}` };
    }
    case 'api_key_query':
      // Carried in the URL instead: see authorizedUrl.
      return {};
    case 'oauth2':
      return { authorization: `${auth.token_prefix}${accessToken ?? need(credentials, 'access_token')[0]}` };
    case 'oauth1': {
      const [consumerKey, consumerSecret, tokenId, tokenSecret] = need(credentials, 'consumer_key', 'consumer_secret', 'token_id', 'token_secret');
      const realm = typeof credentials.realm === 'string' ? credentials.realm : undefined;
      const signed = signOAuth1(
        { method: request.method, url: request.url },
        { consumerKey: consumerKey!, consumerSecret: consumerSecret!, tokenId: tokenId!, tokenSecret: tokenSecret!, realm },
        { signatureMethod: auth.signature_method },
      );
      return { authorization: signed.authorization };
    }
  }
}

/**
 * The URL to call: unchanged, except for auth types that authenticate in the query (`api_key_query`),
 * which add their parameter. Call it before {@link authorize}, which signs the URL it is given (OAuth 1.0a).
 */
export function authorizedUrl(auth: ApiAuth, credentials: Record<string, unknown>, url: string): string {
  if (auth.type !== 'api_key_query') return url;
  const [key] = need(credentials, 'api_key');
  const withKey = new URL(url);
  withKey.searchParams.set(auth.param, key!);
  return withKey.toString();
}
