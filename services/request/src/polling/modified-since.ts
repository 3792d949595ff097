import type { ModifiedSinceSource } from '@switchyard/contracts';
import { fingerprintKey, keyToken } from '@switchyard/bus';
import { sha256Hex } from '@switchyard/kernel';
import type { RegistrationTarget } from '@switchyard/provider-client';
import { RegistrationFailed } from '../registration/outcome.js';
import { readListAnswer, pageCount } from './answers.js';
import { publishPolled, required, scopeOf, stillHeld, type PollParts } from './poll-calls.js';
import { reportProgress, type PollRecord } from './store.js';

/** Forgets every fingerprint of an account (it was deleted). */
export async function purgeFingerprints(kv: PollParts['bus']['kv']['poll_fingerprints'], accountId: string): Promise<void> {
  const keys: string[] = [];
  for await (const key of await kv.keys(`${keyToken(accountId)}.>`)) keys.push(key);
  for (const key of keys) await kv.purge(key);
}

/** The payload a modified-since poll publishes to RAW per changed record (what the poll mapping reads). */
export interface PolledRecord {
  resource: string;
  action: 'created' | 'updated';
  record: unknown;
}

/**
 * Reads what changed in `(cursor − overlap_s, now]`, page by page. Each record whose fingerprint is new
 * goes to RAW (`created` when the remote id was never seen, `updated` when its fingerprint changed) with
 * the event key `<resource>:<remote id>:<version>`, and its fingerprint is kept only after the publish;
 * an unchanged record (the overlap, a second hub's read) makes nothing. The cursor moves to the run's
 * start time only after every page is durable, so a failure or a crash repeats the window, never skips it.
 */
export async function pollModifiedSince(parts: PollParts, target: RegistrationTarget, resource: string, source: ModifiedSinceSource, start: PollRecord): Promise<PollRecord> {
  const slug = target.provider.definition.slug;
  const where = `${slug}/provider.json#polling.resources.${resource}.source`;
  const fingerprints = parts.bus.kv.poll_fingerprints;
  const until = new Date(Date.now() - (source.lag_s ?? 0) * 1000);
  // Never a window ending before it starts (a lag_s longer than overlap_s, runs close together).
  const since = new Date(Math.min(until.getTime(), start.cursor === null ? 0 : Date.parse(start.cursor) - source.overlap_s * 1000));
  let emitted = 0;
  let read = 0;
  for (let page = 0; ; page++) {
    const scope = { ...scopeOf(target), since: since.toISOString(), until: until.toISOString(), top: source.page_size, skip: page * source.page_size, page: page + 1 };
    const answer = await readListAnswer(parts.engine, slug, where, source, await parts.calls.send(target, `polling.${resource}.list`, source.list, scope));
    const pages = await pageCount(parts.engine, slug, where, source, answer);
    const picked = answer.body === undefined ? [] : await parts.engine.evaluate(`${where}.records`, source.records, answer).catch(() => null);
    const records = picked === undefined ? [] : Array.isArray(picked) ? picked : picked === null ? null : [picked];
    if (records === null) throw new RegistrationFailed('SWY_ERR_POLL_ANSWER_INVALID', `${slug}'s change list has no readable records`, { providerStatus: answer.status });
    for (const record of records) {
      const remoteId = await required(parts.engine, `${where}.remote_id`, source.remote_id, record, slug, 'remote id', answer.status);
      const version = await required(parts.engine, `${where}.version`, source.version, record, slug, 'version', answer.status);
      const key = fingerprintKey(target.account.id, resource, remoteId);
      const fingerprint = sha256Hex(JSON.stringify(source.fingerprint ? await parts.engine.evaluate(`${where}.fingerprint`, source.fingerprint, record) : record));
      const known = await fingerprints.get(key);
      const previous = known?.operation === 'PUT' ? known.string() : undefined;
      if (previous === fingerprint) continue;
      const payload: PolledRecord = { resource, action: previous === undefined ? 'created' : 'updated', record };
      await publishPolled(parts, target, `${resource}:${remoteId}:${version}`, payload);
      await fingerprints.put(key, fingerprint);
      emitted++;
    }
    read += records.length;
    await reportProgress(parts.store, start, read, page + 1);
    if (pages === undefined ? records.length < source.page_size : page + 1 >= pages) break;
    await stillHeld(parts, slug);
  }
  return parts.store.put({ ...start, cursor: until.toISOString(), events_emitted: start.events_emitted + emitted });
}
