export { startNormalizer, type NormalizerOptions } from './worker.js';
export { normalize, eventId, type RawDelivery } from './normalize.js';
