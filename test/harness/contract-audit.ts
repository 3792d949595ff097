import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ObservedResponse, ResponseObserver } from '@switchyard/kernel';
import { openApiDocument } from '@switchyard/request';

/**
 * The contract audit (issue 17): every answer an in-process test hub sends is checked against the
 * OpenAPI document the hub serves, with Ajv (JSON Schema 2020-12) compiled from that document. An answer
 * on a route the document does not list, with a status or media type it does not list, or a JSON body
 * its schema refuses, is a violation; the hub's `close()` fails the test file with every violation it
 * saw. Under `npm test` each process also appends the operations it exercised and any violation to
 * `SWITCHYARD_TEST_CONTRACT_AUDIT_DIR`, and `test/audit/contract.ts` reports coverage and fails the run
 * on a violation. Violations name the route, status and schema path — never a body value.
 */
const dir = process.env.SWITCHYARD_TEST_CONTRACT_AUDIT_DIR;
if (dir) mkdirSync(dir, { recursive: true });

type Json = Record<string, any>;
// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

interface Operation {
  /** The document's path template as a pattern over concrete paths (`{id}` = one segment, `{path}` = the rest). */
  pattern: RegExp;
  /** Literal segments: the most specific template wins (`/v1/mappings/preview` over `/v1/mappings/{provider}`). */
  literals: number;
  /** Status (`'200'`, `'default'`) → media type → validator (undefined: any body of that type). */
  responses: Map<string, Map<string, ValidateFunction | undefined>>;
}

let compiled: Map<string, Operation> | undefined;

/** The document's operations keyed `METHOD /path/{param}`, their answers compiled once per process. */
function operations(): Map<string, Operation> {
  if (compiled) return compiled;
  const document = openApiDocument('http://contract-audit.invalid') as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'urn:switchyard:openapi', components: document.components }, 'urn:switchyard:openapi');
  const rebase = (schema: unknown) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"urn:switchyard:openapi#/components/')) as Json;
  compiled = new Map();
  for (const [path, item] of Object.entries<Json>(document.paths)) {
    for (const [method, operation] of Object.entries<Json>(item)) {
      const responses = new Map<string, Map<string, ValidateFunction | undefined>>();
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
        const resolved = response.$ref ? document.components.responses[String(response.$ref).split('/').pop()!] : response;
        const media = new Map<string, ValidateFunction | undefined>();
        for (const [type, content] of Object.entries<Json>(resolved.content ?? {})) media.set(type, content.schema ? ajv.compile(rebase(content.schema)) : undefined);
        responses.set(status, media);
      }
      compiled.set(`${method.toUpperCase()} ${path}`, { responses, pattern: templatePattern(path), literals: path.split('/').filter((s) => s && !s.startsWith('{')).length });
    }
  }
  return compiled;
}

function templatePattern(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (segment === '{path}' ? '.*' : /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The document's operation for a concrete request: the route pattern alone cannot say, since one
 * route (`/unified/:category/:resource`) serves paths the document lists one by one.
 */
function operationFor(method: string, path: string): [string, Operation] | undefined {
  let best: [string, Operation] | undefined;
  for (const [key, operation] of operations()) {
    if (!key.startsWith(`${method} `) || !operation.pattern.test(path)) continue;
    if (!best || operation.literals > best[1].literals) best = [key, operation];
  }
  return best;
}

/** What is wrong with one answer, or undefined when the document describes it. */
export function checkResponse(response: ObservedResponse): string | undefined {
  // No route matched: the answer is the 404/405 problem, which the document's `default` covers everywhere.
  if (response.route === undefined) return response.contentType === 'application/problem+json' ? undefined : `unmatched ${response.method}: ${response.contentType || 'no media type'}`;
  const method = response.method === 'HEAD' ? 'GET' : response.method;
  const found = operationFor(method, response.path);
  if (!found) return `${method} ${response.route}: not in the document`;
  const [key, operation] = found;
  const status = String(response.status);
  const media = operation.responses.get(status) ?? operation.responses.get(`${status[0]}XX`) ?? operation.responses.get('default');
  if (!media) return `${key} ${status}: status not in the document`;
  if (response.body === undefined && !response.streamed) {
    return media.size === 0 || response.method === 'HEAD' ? undefined : `${key} ${status}: empty answer, the document promises ${[...media.keys()].join(', ')}`;
  }
  const type = media.has(response.contentType) ? response.contentType : media.has('*/*') ? '*/*' : undefined;
  if (type === undefined) return `${key} ${status}: media type ${response.contentType || '(none)'} not in the document (${[...media.keys()].join(', ') || 'no body'})`;
  const validate = media.get(type);
  // Only JSON is checked against a schema: text, XML and NDJSON answers are checked for their media type.
  const isJson = type === 'application/json' || type.endsWith('+json');
  if (!validate || !isJson || response.streamed || response.body === undefined || response.method === 'HEAD') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch {
    return `${key} ${status}: ${response.contentType} body is not JSON`;
  }
  if (validate(value)) return undefined;
  const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  return `${key} ${status}: ${errors.join('; ')}`;
}

/** An observer for one test hub: checks every answer, remembers what is wrong, notes coverage under `npm test`. */
export function contractAudit(): { observe: ResponseObserver; violations: () => string[] } {
  const violations = new Set<string>();
  const seen = new Set<string>();
  const file = dir ? join(dir, `contract-${process.pid}.ndjson`) : undefined;
  return {
    observe: (response) => {
      const problem = checkResponse(response);
      if (problem) {
        if (!violations.has(problem) && file) appendFileSync(file, `${JSON.stringify({ violation: problem })}\n`);
        violations.add(problem);
      } else if (response.route !== undefined && file) {
        const method = response.method === 'HEAD' ? 'GET' : response.method;
        const key = `${operationFor(method, response.path)?.[0] ?? `${method} ${response.route}`} ${response.status}`;
        if (!seen.has(key)) appendFileSync(file, `${JSON.stringify({ seen: key })}\n`);
        seen.add(key);
      }
    },
    violations: () => [...violations],
  };
}
