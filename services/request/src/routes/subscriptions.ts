import type { FastifyInstance } from 'fastify';
import { api, SwitchyardError } from '@switchyard/contracts';
import { parseInput, subscriptionView, type EnvironmentStore, type RuntimeContext, type SubscriptionStore } from '@switchyard/runtime';
import { requireEnvironment } from '../auth.js';

type IdParams = { Params: { id: string } };

/**
 * `/v1/subscriptions`: customer endpoints and the event types they want. The URL must pass the egress
 * policy now (a clear 422) and is checked again at every delivery (DNS can change).
 */
export function registerSubscriptionRoutes(app: FastifyInstance, ctx: RuntimeContext, environments: EnvironmentStore, subscriptions: SubscriptionStore): void {
  const find = async (environmentId: string, id: string) => {
    const record = await subscriptions.getInEnvironment(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no subscription '${id}'`);
    return record;
  };

  app.post('/v1/subscriptions', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.CreateSubscription, request.body);
    await ctx.egress.assertUrlAllowed(input.url);
    const { record, secret } = await subscriptions.create({
      environment_id: environment.id,
      url: input.url,
      event_types: input.event_types,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      enabled: input.enabled,
    });
    return reply.status(201).send({ ...subscriptionView(record), secret });
  });

  app.get('/v1/subscriptions', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return { data: subscriptions.list(environment.id).map(subscriptionView) };
  });

  app.get<IdParams>('/v1/subscriptions/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return subscriptionView(await find(environment.id, request.params.id));
  });

  app.patch<IdParams>('/v1/subscriptions/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.UpdateSubscription, request.body);
    const record = await find(environment.id, request.params.id);
    if (input.url) await ctx.egress.assertUrlAllowed(input.url);
    return subscriptionView(await subscriptions.update(record, input));
  });

  app.delete<IdParams>('/v1/subscriptions/:id', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    await subscriptions.delete(record.id);
    return reply.status(204).send();
  });
}
