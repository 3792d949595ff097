export { startNormalizer, type NormalizerOptions } from './worker.js';
