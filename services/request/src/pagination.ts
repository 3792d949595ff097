import type { StoredEntry, StreamPage } from '@switchyard/bus';
import { z } from 'zod';

/**
 * Query parameters of list routes that read a stream: `limit`, an opaque `cursor` (the stream position
 * after the last item examined) and `since` (ISO time).
 */
export const StreamPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^\d+$/, 'cursor must come from next_cursor')
    .transform(Number)
    .optional(),
  since: z.string().datetime({ offset: true }).transform((s) => new Date(s)).optional(),
});

/** A list response for one stream page: the entries as `view` shows them and the cursor to pass back (null at the end). */
export function pageResponse<T>(page: StreamPage, view: (entry: StoredEntry) => T): { data: T[]; next_cursor: string | null } {
  return { data: page.entries.map(view), next_cursor: page.nextSeq === null ? null : String(page.nextSeq) };
}
