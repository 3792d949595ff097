import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ModifiedSinceSource } from '@switchyard/contracts';
import type { MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer } from '@switchyard/provider-client';
import { RegistrationFailed } from '../registration/outcome.js';
import { checked } from './poll-calls.js';

/** What a list source's expressions read: the answer with its body decoded (JSON or XML). */
export interface AnswerView {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

// One shape for every XML answer (docs/polling.md): prefixes dropped (`wd:Worker` and `bsvc:Worker` are
// both `Worker`, whatever prefix the provider picks), attributes kept as `@_name`, values left as strings
// so an id such as `000123` keeps its zeros and a fingerprint does not depend on number parsing.
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
});

/**
 * Parses an XML answer to JSON. Not well-formed, or carrying a DOCTYPE (entity expansion is a way to
 * blow up a parser; no SOAP answer needs one), is a coded error, never a guess.
 */
export function parseXmlAnswer(slug: string, text: unknown, providerStatus: number): unknown {
  const invalid = (why: string) => new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug} answered the change list with ${why}`, { providerStatus });
  if (typeof text !== 'string' || text.trim() === '') throw invalid('no XML body');
  if (/<!DOCTYPE/i.test(text)) throw invalid('an XML body that declares a DOCTYPE');
  if (XMLValidator.validate(text) !== true) throw invalid('a body that is not well-formed XML');
  return xml.parse(text) as unknown;
}

/**
 * Reads a list answer as the source declares it: throttling first (a 429 or 503 is a rate limit, not
 * a fault), then the body decoded (`answer: xml`), then a fault reported inside it (SOAP faults come
 * with HTTP 500, whatever went wrong), then the status. Returns the view the source's expressions read;
 * throws a coded {@link RegistrationFailed}, so the cursor stays where it was.
 */
export async function readListAnswer(engine: MappingEngine, slug: string, where: string, source: ModifiedSinceSource, answer: RegistrationAnswer): Promise<AnswerView> {
  if (answer.rateLimit.throttled) checked(slug, 'list', answer);
  const status = answer.status;
  let body: unknown;
  if (source.answer === 'xml') {
    // An HTTP error without a readable XML body (a proxy's 401 text or 502 HTML page) is judged by its status alone.
    try {
      body = parseXmlAnswer(slug, answer.body, status);
    } catch (error) {
      if (status >= 400) checked(slug, 'list', answer);
      throw error;
    }
  } else {
    if (answer.malformed) checked(slug, 'list', answer);
    if (answer.malformed) throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug} answered the change list with a body that is not JSON`, { providerStatus: status });
    body = answer.body;
  }
  const view = { status, headers: answer.headers, body };
  await faultOf(engine, slug, where, source, view);
  checked(slug, 'list', answer);
  return view;
}

/** Throws the coded error for a fault the answer reports (`source.fault`), if it reports one. */
async function faultOf(engine: MappingEngine, slug: string, where: string, source: ModifiedSinceSource, view: AnswerView): Promise<void> {
  const fault = source.fault;
  if (!fault) return;
  const code = await engine.evaluate(`${where}.fault.code`, fault.code, view).catch(() => undefined);
  if (code === undefined || code === null || code === '' || code === false) return;
  const providerStatus = view.status;
  const unauthorized = fault.unauthorized ? Boolean(await engine.evaluate(`${where}.fault.unauthorized`, fault.unauthorized, view).catch(() => false)) : false;
  if (unauthorized) throw new RegistrationFailed('SWY_ERR_PROVIDER_UNAUTHORIZED', `${slug} refused the account's credentials on the poll (fault ${shorten(code)})`, { providerStatus });
  const message = fault.message ? await engine.evaluate(`${where}.fault.message`, fault.message, view).catch(() => undefined) : undefined;
  // The fault's own words help the operator; capped, as they may echo a request value.
  const text = typeof message === 'string' && message !== '' ? `: ${shorten(message)}` : '';
  throw new RegistrationFailed('SWY_ERR_POLL_PROVIDER_FAULT', `${slug} answered the change list with fault ${shorten(code)}${text}`, { providerStatus });
}

function shorten(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The window's page count from `source.pages`, or undefined when the source pages by short pages. */
export async function pageCount(engine: MappingEngine, slug: string, where: string, source: ModifiedSinceSource, view: AnswerView): Promise<number | undefined> {
  if (!source.pages) return undefined;
  const value = Number(await engine.evaluate(`${where}.pages`, source.pages, view).catch(() => undefined));
  if (!Number.isInteger(value) || value < 0) throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug}'s change list does not say how many pages the window has`, { providerStatus: view.status });
  return value;
}
