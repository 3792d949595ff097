import { createHash } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/**
 * True for the server's "wrong last sequence" answer: a compare-and-set lost to another writer (or a
 * create found the key). Every other error is a real failure and must propagate.
 */
export function isCasConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * A KV key token for an account id. Ids minted here (`acc_…`) pass through unchanged, so keys stay
 * readable in `nats kv ls`; anything outside the KV key alphabet is hashed rather than rejected.
 */
export function keyToken(id: string): string {
  return /^[-_=A-Za-z0-9]{1,200}$/.test(id) ? id : `h-${createHash('sha256').update(id).digest('hex')}`;
}
