import type { SignedPart } from '@switchyard/contracts';
import { header, type InboundRequest } from './inbound.js';

/**
 * The bytes a provider signed, assembled from the declared parts in order. The body part is the raw
 * bytes as received: a re-serialized body would not verify.
 */
export function signedBytes(parts: readonly SignedPart[], request: InboundRequest, params: ReadonlyMap<string, string> = new Map()): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      switch (part.part) {
        case 'body':
          return request.body;
        case 'method':
          return Buffer.from(request.method.toUpperCase());
        case 'url':
          return Buffer.from(request.url);
        case 'path':
          return Buffer.from(request.path);
        case 'header':
          return Buffer.from(header(request, part.name) ?? '');
        case 'signature_param':
          return Buffer.from(params.get(part.name) ?? '');
        case 'literal':
          return Buffer.from(part.value);
      }
    }),
  );
}
