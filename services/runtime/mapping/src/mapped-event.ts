import { parseEventType, type MappedEvent, type ParsedEventType } from '@switchyard/contracts';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown) => (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));

/**
 * The mapped event `item` is (and its parsed type), read without zod when it is plainly well-formed: the same values
 * `MappedEvent.parse` returns (ids as strings, `data` copied by the caller anyway), or undefined
 * whenever anything is unusual — the caller then lets the zod schema decide and word the error.
 * It only ever accepts a subset of what the schema accepts, so validation is not weakened; the
 * event type is checked by `parseEventType` (the schema's own check).
 */
export function readMappedEvent(item: unknown): { mapped: MappedEvent; type: ParsedEventType } | undefined {
  if (!isRecord(item)) return undefined;
  const { type, record_id, occurred_at, event_key, data, remote_data, enrich } = item;
  if (typeof type !== 'string' || !isId(record_id) || !isRecord(data)) return undefined;
  if (occurred_at !== undefined && typeof occurred_at !== 'string') return undefined;
  if (event_key !== undefined && !isId(event_key)) return undefined;
  let readEnrich: MappedEvent['enrich'];
  if (enrich === true) readEnrich = true;
  else if (enrich !== undefined) {
    if (!isRecord(enrich)) return undefined;
    const { resource, remote_id } = enrich;
    if ((resource !== undefined && typeof resource !== 'string') || (remote_id !== undefined && typeof remote_id !== 'string' && !(typeof remote_id === 'number' && Number.isFinite(remote_id)))) return undefined;
    readEnrich = { resource: resource as string | undefined, remote_id: remote_id === undefined ? undefined : String(remote_id) };
  }
  const parsedType = parseEventType(type);
  if (parsedType === undefined) return undefined;
  const mapped: MappedEvent = {
    type,
    record_id: String(record_id),
    occurred_at: occurred_at as string | undefined,
    event_key: event_key === undefined ? undefined : String(event_key),
    data,
    remote_data,
    enrich: readEnrich,
  };
  return { mapped, type: parsedType };
}
