import { PublishEnv } from '@switchyard/bus';
import { ServiceEnv, runStandalone } from '@switchyard/runtime';
import { EdgeEnv } from './config.js';
import { edgeParts, startEdge } from './index.js';

await runStandalone('switchyard-edge', ServiceEnv.extend(EdgeEnv.shape).extend(PublishEnv.shape), async ({ runtime, config, app }) =>
  startEdge(app, await edgeParts(runtime), { bodyLimit: config.SWITCHYARD_BODY_LIMIT_BYTES, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
);
