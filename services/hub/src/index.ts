export { startHub, EMBEDDED_EGRESS_ALLOW, type Hub } from './hub.js';
export { HubEnv, type HubConfig } from './config.js';
