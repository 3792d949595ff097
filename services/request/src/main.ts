import { PublishEnv } from '@switchyard/bus';
import { ServiceEnv, runStandalone } from '@switchyard/runtime';
import { AdminEnv, ExportEnv, PollingEnv, QuotaEnv, RegistrationEnv, RotationEnv } from './config.js';
import { requestParts, startRequest } from './index.js';

const Env = ServiceEnv.extend(AdminEnv.shape).extend(RotationEnv.shape).extend(QuotaEnv.shape).extend(PublishEnv.shape).extend(RegistrationEnv.shape).extend(PollingEnv.shape).extend(ExportEnv.shape);

await runStandalone('switchyard-request', Env, async ({ runtime, config, app }) =>
  startRequest(app, await requestParts(runtime), {
    adminToken: config.SWITCHYARD_ADMIN_TOKEN,
    rotationOverlapMs: config.SWITCHYARD_SECRET_ROTATION_OVERLAP_MS,
    publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS,
    maxRunningReplays: config.SWITCHYARD_REPLAY_MAX_RUNNING,
    eventsLookupWindow: config.SWITCHYARD_EVENTS_LOOKUP_WINDOW,
    registration: config,
    polling: config,
    exports: config,
  }),
);
