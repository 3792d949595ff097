import type { FastifyInstance } from 'fastify';
import { SwitchyardError } from '@switchyard/contracts';
import { publishOperationalEvent } from '@switchyard/bus';
import { ConnectStates, type ConnectState } from '@switchyard/provider-auth';
import type { EdgeParts } from './parts.js';

type Callback = { Querystring: { code?: string; state?: string; error?: string; error_description?: string } };

/**
 * `GET /connect/callback`: where a provider returns the end user after consent. Checks and uses up the
 * signed state (single-use), exchanges the code at the provider's token endpoint with the provider app's credentials (and the PKCE verifier),
 * creates the integrated account (tokens sealed, config and remote key from the token response as the
 * definition declares) and sends the user back to the customer's `redirect_uri` with
 * `integrated_account_id`, or with `error` when anything failed. Tokens never reach the browser or logs.
 */
export async function registerConnectCallback(app: FastifyInstance, ctx: EdgeParts): Promise<void> {
  const { accounts, providerApps: apps } = ctx;
  const states = new ConnectStates(ctx.vault, ctx.bus.kv.jobs);
  const back = (state: ConnectState, params: Record<string, string>) => {
    const url = new URL(state.redirect_uri);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  };

  app.get<Callback>('/connect/callback', async (request, reply) => {
    // Used up here, before anything else: a replayed callback (same state) is refused, even a declined one.
    const { state, codeVerifier } = await states.consume(request.query.state ?? '');
    if (request.query.error) return reply.redirect(back(state, { error: request.query.error }), 302);
    const provider = ctx.catalog.get(state.provider);
    const auth = provider?.definition.api?.auth;
    const providerApp = await apps.get(state.provider_app_id);
    if (!provider || auth?.type !== 'oauth2' || !auth.token_url || !providerApp || providerApp.environment_id !== state.environment_id) {
      throw new SwitchyardError('SWY_ERR_CONNECT_STATE_INVALID', 'the provider app of this connect link is gone');
    }
    try {
      const secrets = apps.secrets(providerApp);
      const form = new URLSearchParams({ grant_type: 'authorization_code', code: request.query.code ?? '', redirect_uri: `${ctx.publicUrl}/connect/callback` });
      if (codeVerifier) form.set('code_verifier', codeVerifier);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      const secret = secrets.client_secret?.[0] ?? '';
      if (auth.client_auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${providerApp.client_id}:${secret}`).toString('base64')}`;
      else {
        form.set('client_id', providerApp.client_id ?? '');
        form.set('client_secret', secret);
      }
      const answer = await ctx.http.send({ method: 'POST', url: auth.token_url, headers, body: form.toString() });
      const tokens = JSON.parse(answer.body.toString('utf8') || '{}') as Record<string, unknown>;
      if (answer.status !== 200 || typeof tokens.access_token !== 'string') {
        throw new SwitchyardError('SWY_ERR_CONNECT_FAILED', `token endpoint answered ${answer.status}${typeof tokens.error === 'string' ? ` (${tokens.error})` : ''}`);
      }
      const evaluate = async (expression: string | undefined) => (expression ? ctx.engine.evaluate(`${state.provider} connect`, expression, tokens) : undefined);
      const config = ((await evaluate(auth.account_config)) as Record<string, unknown> | undefined) ?? {};
      const remoteKey = await evaluate(auth.remote_key);
      const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : Number(tokens.expires_in);
      const account = await accounts.create({
        environment_id: state.environment_id,
        provider: state.provider,
        provider_app_id: providerApp.id,
        credentials: {
          access_token: tokens.access_token,
          ...(typeof tokens.refresh_token === 'string' ? { refresh_token: tokens.refresh_token } : {}),
          ...(Number.isFinite(expiresIn) ? { expires_at: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}),
        },
        webhook_secrets: [],
        remote_key: remoteKey === undefined || remoteKey === null ? undefined : String(remoteKey),
        config,
      });
      await publishOperationalEvent(ctx.bus, { type: 'integrated_account:created', environmentId: account.environment_id, key: `${account.id}:connected`, data: { id: account.id, provider: account.provider, connected_via: 'oauth' } });
      request.log.info({ provider: state.provider, account: account.id }, 'account connected');
      return reply.redirect(back(state, { integrated_account_id: account.id }), 302);
    } catch (error) {
      const code = error instanceof SwitchyardError ? error.code : 'SWY_ERR_CONNECT_FAILED';
      request.log.warn({ provider: state.provider, code }, 'connect failed');
      return reply.redirect(back(state, { error: code === 'SWY_ERR_REMOTE_KEY_TAKEN' ? 'account_already_connected' : 'connect_failed' }), 302);
    }
  });
}
