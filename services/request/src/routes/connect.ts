import type { FastifyInstance } from 'fastify';
import { SwitchyardError } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import { ConnectStates } from '@switchyard/provider-auth';
import type { RequestParts } from '../parts.js';
import type { EnvironmentStore, ProviderAppStore } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';

const AuthorizeQuery = z.object({
  /** Where the end user lands after consent, with `integrated_account_id` or `error` added. */
  redirect_uri: z.string().url().refine((u) => /^https?:/.test(u), 'http(s) only'),
  /** The provider app to connect through; optional when the environment has exactly one for the provider. */
  provider_app_id: z.string().optional(),
});

/**
 * `GET /v1/connect/{provider}/authorize?redirect_uri=…`: the URL to send an end user to for the
 * provider's consent screen, using the environment's provider app. The `state` in it is signed and
 * expires in 10 minutes and works once; with PKCE (the definition's `auth.pkce`) the URL carries an S256
 * challenge. The provider sends the user back to the edge's `/connect/callback`.
 */
export function registerConnectRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, apps: ProviderAppStore): void {
  const states = new ConnectStates(ctx.vault, ctx.bus.kv.jobs);
  app.get<{ Params: { provider: string } }>('/v1/connect/:provider/authorize', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const query = parseInput(AuthorizeQuery, request.query);
    const slug = request.params.provider;
    const auth = ctx.catalog.get(slug)?.definition.api?.auth;
    if (auth?.type !== 'oauth2' || !auth.authorize_url) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${slug} has no OAuth authorization-code flow declared`);
    const candidates = apps.list(environment.id).filter((a) => a.provider === slug && (!query.provider_app_id || a.id === query.provider_app_id));
    if (candidates.length !== 1) {
      throw new SwitchyardError('SWY_ERR_PROVIDER_APP_UNKNOWN', candidates.length === 0 ? `create a ${slug} provider app first` : 'several provider apps: pass provider_app_id');
    }
    const providerApp = candidates[0]!;
    if (!providerApp.client_id || !providerApp.has_client_secret) throw new SwitchyardError('SWY_ERR_VALIDATION', 'the provider app needs client_id and client_secret');
    const issued = await states.issue(
      { environment_id: environment.id, provider: slug, provider_app_id: providerApp.id, redirect_uri: query.redirect_uri },
      { pkce: auth.pkce !== 'none' },
    );
    const url = new URL(auth.authorize_url);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', providerApp.client_id);
    url.searchParams.set('redirect_uri', `${ctx.publicUrl}/connect/callback`);
    const scopes = providerApp.scopes.length > 0 ? providerApp.scopes : auth.scopes;
    if (scopes.length > 0) url.searchParams.set('scope', scopes.join(auth.scope_separator));
    url.searchParams.set('state', issued.token);
    if (issued.codeChallenge) {
      url.searchParams.set('code_challenge', issued.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    return { url: url.toString(), expires_in: 600 };
  });
}
