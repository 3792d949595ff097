import { AdminEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { startRequest } from './index.js';

await runStandalone('switchyard-request', ServiceEnv.extend(AdminEnv.shape), ({ ctx, config, app }) =>
  startRequest(app, ctx, { adminToken: config.SWITCHYARD_ADMIN_TOKEN }),
);
