export { NormalizerEnv } from './config.js';
export { normalizerParts, type NormalizerParts } from './parts.js';
export { startNormalizer, type NormalizerOptions } from './worker.js';
