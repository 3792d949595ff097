/**
 * @switchyard/mapping — providers as data: the catalog of provider definitions, the JSONata engine
 * and its function library, body formats, and `normalize` (raw payload → event envelopes). Pure:
 * no bus, no stores; imports only the kernel.
 */
export { mediaType, parseBody } from './body-format.js';
export { defaultMappingsDir, mappingVersion, ProviderCatalog, type LoadedProvider, type MappingSource } from './catalog.js';
export { compileJsonata, type CompiledJsonata, type CompileOptions } from './compiler/index.js';
export { difference as jsonataValueDifference } from './compiler/same-value.js';
export { CatalogEnv, SandboxEnv, sandboxOptionsFrom, type SandboxConfig } from './config.js';
export { MappingEngine, toIsoDateTime, type ExpressionEvaluator, type MappingLimits } from './mapping-engine.js';
export { Re2RegexEngine } from './regex-engine.js';
export { providerExpressions, type ProviderExpression } from './provider-expressions.js';
export { ExpressionSandbox, type SandboxOptions } from './sandbox.js';
export { registerMappingFunctions, type MappingFunctionContext, type MoneyValue } from './mapping-functions.js';
/** The pure functions behind the mapping library (`mappingFunctions.phone('020 7946 0000', 44)`). */
export * as mappingFunctions from './mapping-functions.js';
export { enrichmentGaps, type EnrichmentGap } from './enrichment-lint.js';
export { eventId, normalize, type MappingAccount, type RawDelivery } from './normalize.js';
