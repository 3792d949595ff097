import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SwitchyardError, type BodyFormat } from '@switchyard/contracts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '@switchyard/kernel';
import type { z } from 'zod';

/** The media type of a Content-Type header: lower case, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Parses verified raw bytes for a mapping: JSON, form-urlencoded (repeated keys become arrays) or text.
 * Throws on malformed input; callers keep the raw bytes either way. JSON nested deeper than
 * {@link MAX_JSON_DEPTH} throws `SWY_ERR_BODY_TOO_DEEP` before parsing (JSON.parse would overflow its stack).
 */
export function parseBody(format: z.infer<typeof BodyFormat>, body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  switch (format) {
    case 'json':
      if (jsonTooDeep(body)) throw new SwitchyardError('SWY_ERR_BODY_TOO_DEEP', `JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
      return JSON.parse(text);
    case 'form': {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(text)) {
        const existing = out[key];
        out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      }
      return out;
    }
    case 'xml':
      return parseXml(text);
    case 'text':
      return text;
  }
}

/**
 * XML → JSON for mappings. Namespace prefixes are kept in names (`soapenv:Envelope`), attributes are
 * `@_name`, text values stay strings (ids like `00D5e000000abcd` must not become numbers), repeated
 * elements become arrays only when they repeat (mappings use JSONata's array-or-single semantics).
 */
// htmlEntities also decodes numeric character references (&#233; → é), which XML senders use freely.
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true, htmlEntities: true });

function parseXml(text: string): unknown {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  return xml.parse(text);
}
