/**
 * @switchyard/runtime — the assembly: a {@link Runtime} that opens each part a process uses on first
 * use, and `runStandalone`, which runs one service in its own process. Services build on it; nothing
 * below imports it.
 */
export { Runtime, type RuntimeOptions } from './runtime.js';
export { runStandalone, ServiceEnv, type ServiceConfig, type StandaloneParts } from './standalone.js';
