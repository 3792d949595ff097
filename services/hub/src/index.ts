export { startHub, type Hub } from './hub.js';
export { HubEnv, type HubConfig } from './config.js';
