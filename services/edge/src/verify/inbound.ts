/**
 * A webhook request as the verifiers see it: header names lower-cased, the body as the exact bytes
 * received. Verifiers never see a parsed body, so a re-serialized body can never be verified by mistake.
 */
export interface InboundRequest {
  method: string;
  /** The public URL the provider called, with its query string (what URL-signing schemes sign). */
  url: string;
  /** Path and query as received. */
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** A verification outcome: expected failures are values, with the registry code to answer. */
export type VerifyResult =
  | { ok: true }
  | {
      ok: false;
      code:
        | 'SWY_ERR_SIGNATURE_MISSING'
        | 'SWY_ERR_SIGNATURE_MISMATCH'
        | 'SWY_ERR_TIMESTAMP_MISSING'
        | 'SWY_ERR_TIMESTAMP_INVALID'
        | 'SWY_ERR_TIMESTAMP_SKEW'
        | 'SWY_ERR_WEBHOOK_SECRET_UNSET';
      detail: string;
    };
