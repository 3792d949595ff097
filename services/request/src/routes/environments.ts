import type { FastifyInstance } from 'fastify';
import { api } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import type { EnvironmentStore } from '@switchyard/stores';
import { requireAdmin } from '../auth.js';

/** `POST /v1/environments` (admin token) → `{id, name, api_key, created_at}`; the key is shown only here. */
export function registerEnvironmentRoutes(app: FastifyInstance, environments: EnvironmentStore, adminToken: string): void {
  app.post('/v1/environments', async (request, reply) => {
    requireAdmin(request, adminToken);
    const input = parseInput(api.CreateEnvironment, request.body);
    const { environment, apiKey } = await environments.create(input.name);
    return reply.status(201).send({ ...environment, api_key: apiKey });
  });
}
