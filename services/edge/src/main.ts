import { EdgeEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { startEdge } from './index.js';

await runStandalone('switchyard-edge', ServiceEnv.extend(EdgeEnv.shape), ({ ctx, config, app }) =>
  startEdge(app, ctx, { bodyLimit: config.SWITCHYARD_BODY_LIMIT_BYTES, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
);
