export { startHub, type Hub, type HubOptions } from './hub.js';
export { HubEnv, type HubConfig } from './config.js';
