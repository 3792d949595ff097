export { startNormalizer, DEAD_HEADERS, type NormalizerOptions } from './worker.js';
export { normalize, eventId, type RawDelivery } from './normalize.js';
