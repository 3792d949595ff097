/**
 * @switchyard/kernel — what every process shares and nothing below it: configuration loading, the
 * logger, lifecycle, ids, metrics, JSON paths, the vault, the egress policy, the HTTP app and
 * problem+json. Imports only `@switchyard/contracts`.
 */
export { bool, csv, EgressEnv, HttpEnv, loadConfig, LogEnv, optionalString, SecretsEnv } from './config.js';
export { egressConnector, EgressPolicy, parseAllowEntry, parseCidr, type AllowEntry } from './egress.js';
export { canonicalIp, isBlockedAddress } from './egress-ranges.js';
export { deterministicId, randomId, sha256Hex } from './ids.js';
export { KeyedSequencer, type Ticket } from './keyed-sequencer.js';
export { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.js';
export { jsonOf, valueAt } from './json-value.js';
export { closeAll, closeOnSignals, type Closeable } from './lifecycle.js';
export { createLogger, REDACT_PATHS, type Logger } from './logger.js';
export { Metrics } from './metrics.js';
export { generateKey, parseKey, Vault, type Sealed } from './vault.js';
export { createHttpApp, type HttpAppOptions, type ObservedResponse, type Readiness, type ResponseObserver } from './http/app.js';
export { parseInput, registerProblemHandler, routesOf, toSwitchyardError } from './http/problem.js';
export { traceContextOf, traceIdOf, type TraceContext } from './trace-context.js';
export { startTracing, TRACING_OFF, TracingEnv, tracingEnabled, type SpanAttribute, type SpanKindName, type TraceSpan, type Tracer, type TracingConfig, type TracingHandle, type TracingOptions } from './tracing.js';
