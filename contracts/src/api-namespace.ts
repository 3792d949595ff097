// The `api` namespace of the contracts: request bodies and record views (api.ts) and the answers of
// actions and one-time reveals (api-answers.ts), kept in two files so neither grows past a screenful.
export * from './api.js';
export * from './api-answers.js';
