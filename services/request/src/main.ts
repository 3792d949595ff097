import { AdminEnv, EdgeEnv, RotationEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { startRequest } from './index.js';

const Env = ServiceEnv.extend(AdminEnv.shape).extend(RotationEnv.shape).extend(EdgeEnv.pick({ SWITCHYARD_PUBLISH_TIMEOUT_MS: true }).shape);

await runStandalone('switchyard-request', Env, ({ ctx, config, app }) =>
  startRequest(app, ctx, {
    adminToken: config.SWITCHYARD_ADMIN_TOKEN,
    rotationOverlapMs: config.SWITCHYARD_SECRET_ROTATION_OVERLAP_MS,
    publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS,
  }),
);
